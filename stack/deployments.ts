// Changing a MachineDeployment the way an operator would (kubectl scale). A merge patch of
// spec.replicas carries no resourceVersion, so MCM's own writes cannot make it conflict.
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Stack } from './stack.ts';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export async function scale(stack: Stack, deployment: string, replicas: number): Promise<void> {
  const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  await api.patchNamespacedCustomObject(
    {
      group: 'machine.sapcloud.io',
      version: 'v1alpha1',
      namespace: stack.namespace,
      plural: 'machinedeployments',
      name: deployment,
      body: { spec: { replicas } },
    },
    mergePatch,
  );
}
