// Builders and small API helpers for machine.sapcloud.io/v1alpha1 objects in tests.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { mergePatch } from './merge-patch.ts';

export const MCM_GROUP = 'machine.sapcloud.io';
export const MCM_VERSION = 'v1alpha1';
const apiVersion = `${MCM_GROUP}/${MCM_VERSION}`;

export type McmPlural = 'machineclasses' | 'machines' | 'machinesets' | 'machinedeployments';

// biome-ignore lint/suspicious/noExplicitAny: objects read back from the API are untyped JSON
export type McmObject = Record<string, any>;

export function machineClass(
  name: string,
  namespace: string,
  opts: { providerSpec?: Record<string, unknown>; secretName?: string; provider?: string } = {},
): McmObject {
  return {
    apiVersion,
    kind: 'MachineClass',
    metadata: { name, namespace },
    provider: opts.provider ?? 'STACKIT',
    providerSpec: opts.providerSpec ?? { machineType: 'c1.2', imageId: 'image-for-tests' },
    ...(opts.secretName ? { secretRef: { name: opts.secretName, namespace } } : {}),
  };
}

export function machine(name: string, namespace: string, className: string): McmObject {
  return {
    apiVersion,
    kind: 'Machine',
    metadata: { name, namespace },
    spec: { class: { kind: 'MachineClass', name: className } },
  };
}

export function machineDeployment(
  name: string,
  namespace: string,
  className: string,
  replicas: number,
): McmObject {
  const labels = { 'machine-deployment': name };
  return {
    apiVersion,
    kind: 'MachineDeployment',
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: { class: { kind: 'MachineClass', name: className } },
      },
    },
  };
}

/** Thin wrapper over CustomObjectsApi for the four MCM kinds in one namespace. */
export function mcmClient(kc: KubeConfig, namespace: string) {
  const api = kc.makeApiClient(CustomObjectsApi);
  const base = { group: MCM_GROUP, version: MCM_VERSION, namespace };
  return {
    create: (plural: McmPlural, body: McmObject): Promise<McmObject> =>
      api.createNamespacedCustomObject({ ...base, plural, body }),
    get: (plural: McmPlural, name: string): Promise<McmObject> =>
      api.getNamespacedCustomObject({ ...base, plural, name }),
    list: async (plural: McmPlural): Promise<McmObject[]> =>
      ((await api.listNamespacedCustomObject({ ...base, plural })) as { items: McmObject[] }).items,
    /** A JSON merge patch: safe against MCM's concurrent writes (see merge-patch.ts). */
    patch: (plural: McmPlural, name: string, body: McmObject): Promise<McmObject> =>
      api.patchNamespacedCustomObject({ ...base, plural, name, body }, mergePatch),
    delete: (plural: McmPlural, name: string): Promise<unknown> =>
      api.deleteNamespacedCustomObject({ ...base, plural, name }),
  };
}

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}
