// Changing a MachineDeployment the way an operator would (kubectl scale), retried over the
// resourceVersion conflicts MCM's own writes cause.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { McmObject } from './mcm-objects.ts';
import type { Stack } from './stack.ts';

export async function scale(stack: Stack, deployment: string, replicas: number): Promise<void> {
  const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const base = {
    group: 'machine.sapcloud.io',
    version: 'v1alpha1',
    namespace: stack.namespace,
    plural: 'machinedeployments',
  };
  for (let i = 0; ; i++) {
    const md = (await api.getNamespacedCustomObject({ ...base, name: deployment })) as McmObject;
    md.spec.replicas = replicas;
    try {
      await api.replaceNamespacedCustomObject({ ...base, name: deployment, body: md });
      return;
    } catch (e) {
      if (i > 5) throw e; // resourceVersion conflicts with MCM's own writes
    }
  }
}
