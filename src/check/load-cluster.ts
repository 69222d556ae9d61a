// MachineClasses and their Secrets from a cluster, merged the way MCM merges them (secretRef, then
// credentialsSecretRef on top). A missing Secret is an input error naming it; an unreachable
// cluster means nothing could be checked.
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { MachineClass, SecretData } from '../driver/types.ts';
import {
  type ClassInput,
  classNameOf,
  mergeSecretData,
  type SecretObject,
  secretDataOf,
  secretRefsOf,
} from './class-input.ts';
import { InputError, UnreachableError } from './failures.ts';

export interface ClusterSource {
  /** Undefined: KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string | undefined;
  /** Undefined: the context's namespace, else default. */
  namespace?: string | undefined;
  /** Undefined: every MachineClass in the namespace. */
  name?: string | undefined;
}

const mcm = { group: 'machine.sapcloud.io', version: 'v1alpha1', plural: 'machineclasses' } as const;

export async function loadFromCluster(src: ClusterSource): Promise<ClassInput[]> {
  const kc = new KubeConfig();
  try {
    if (src.kubeconfig !== undefined) kc.loadFromFile(src.kubeconfig);
    else kc.loadFromDefault();
  } catch (e) {
    throw new InputError(`kubeconfig ${src.kubeconfig ?? '(default)'}: cannot load (${firstLine(e)})`);
  }
  if (!kc.getCurrentCluster()) throw new InputError('kubeconfig has no current cluster');
  const context = kc.getContextObject(kc.getCurrentContext());
  const namespace = src.namespace ?? context?.namespace ?? 'default';
  const origin = `cluster ${kc.getCurrentCluster()?.name ?? ''}`.trim();
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);

  let classes: MachineClass[];
  if (src.name !== undefined) {
    const mc = await kube(`MachineClass ${namespace}/${src.name}`, () =>
      custom.getNamespacedCustomObject({ ...mcm, namespace, name: src.name! }),
    );
    classes = [mc as MachineClass];
  } else {
    const list = (await kube(`MachineClasses in ${namespace}`, () =>
      custom.listNamespacedCustomObject({ ...mcm, namespace }),
    )) as { items?: MachineClass[] };
    classes = list.items ?? [];
    if (classes.length === 0) throw new InputError(`no MachineClass in namespace ${namespace}`);
  }

  const out: ClassInput[] = [];
  for (const mc of classes) {
    const input: ClassInput = { machineClass: mc, className: classNameOf(mc, namespace), origin, notes: [] };
    const parts: SecretData[] = [];
    try {
      for (const ref of secretRefsOf(mc)) {
        const ns = ref.namespace || namespace;
        const what = `Secret ${ns}/${ref.name} (referenced by MachineClass ${input.className})`;
        const secret = (await kube(what, () =>
          core.readNamespacedSecret({ name: ref.name!, namespace: ns }),
        )) as SecretObject;
        parts.push(secretDataOf(secret, what));
      }
      if (parts.length > 0) input.secret = mergeSecretData(parts);
      else input.secretProblem = 'the class references no Secret (secretRef, credentialsSecretRef)';
    } catch (e) {
      // One class's missing Secret must not hide the other classes' results.
      if (!(e instanceof InputError)) throw e;
      input.secretProblem = e.message;
    }
    out.push(input);
  }
  return out;
}

async function kube<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 404) throw new InputError(`${what}: not found`);
    if (code === 401 || code === 403)
      throw new InputError(`${what}: the kubeconfig's user may not read it (HTTP ${code})`);
    if (typeof code === 'number') throw new UnreachableError(`${what}: the cluster answered HTTP ${code}`);
    throw new UnreachableError(`${what}: cannot reach the cluster (${firstLine(e)})`);
  }
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 200);
