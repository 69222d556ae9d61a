// Changing a MachineDeployment the way an operator would (kubectl scale): a merge patch of
// spec.replicas, which MCM's own writes cannot make conflict.
import type { Stack } from './stack.ts';

export async function scale(stack: Stack, deployment: string, replicas: number): Promise<void> {
  await stack.objects.patch('machinedeployments', deployment, { spec: { replicas } });
}
