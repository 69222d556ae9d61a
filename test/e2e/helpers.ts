// Reading the stack's state the way an operator would: Machines and their phases, servers in the
// simulator, Nodes.
import { CustomObjectsApi, Watch } from '@kubernetes/client-node';
import type { FaultProfile } from '../../src/simulator/index.ts';
import type { McmObject, McmPlural } from '../../stack/mcm-objects.ts';
import { waitFor } from '../../stack/processes.ts';
import type { Stack } from '../../stack/stack.ts';

export { scale } from '../../stack/deployments.ts';

export async function machines(stack: Stack): Promise<McmObject[]> {
  return stack.objects.list('machines');
}

export const phaseOf = (m: McmObject): string => m.status?.currentStatus?.phase ?? '';

/** Servers of this stack's namespace that are not on their way out. */
export function liveServers(stack: Stack) {
  return stack.sim.servers().filter((s) => s.status !== 'DELETING' && s.status !== 'DELETED');
}

export async function setClass(stack: Stack, deployment: string, className: string): Promise<void> {
  const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const base = {
    group: 'machine.sapcloud.io',
    version: 'v1alpha1',
    namespace: stack.namespace,
    plural: 'machinedeployments',
  };
  for (let i = 0; ; i++) {
    const md = (await api.getNamespacedCustomObject({ ...base, name: deployment })) as McmObject;
    md.spec.template.spec.class.name = className;
    try {
      await api.replaceNamespacedCustomObject({ ...base, name: deployment, body: md });
      return;
    } catch (e) {
      if (i > 5) throw e;
    }
  }
}

export async function setStrategy(
  stack: Stack,
  deployment: string,
  rollingUpdate: { maxSurge: number; maxUnavailable: number },
): Promise<void> {
  const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const base = {
    group: 'machine.sapcloud.io',
    version: 'v1alpha1',
    namespace: stack.namespace,
    plural: 'machinedeployments',
  };
  for (let i = 0; ; i++) {
    const md = (await api.getNamespacedCustomObject({ ...base, name: deployment })) as McmObject;
    md.spec.strategy = { type: 'RollingUpdate', rollingUpdate };
    try {
      await api.replaceNamespacedCustomObject({ ...base, name: deployment, body: md });
      return;
    } catch (e) {
      if (i > 5) throw e;
    }
  }
}

/** Waits until `count` Machines are Running, each with a Ready Node and exactly one live server. */
export async function waitRunning(
  stack: Stack,
  count: number,
  timeoutMs = 180_000,
  className?: string,
): Promise<McmObject[]> {
  let last: McmObject[] = [];
  await waitFor(
    async () => {
      last = await machines(stack);
      const relevant = className ? last.filter((m) => m.spec?.class?.name === className) : last;
      return (
        relevant.length === count && last.length === count && relevant.every((m) => phaseOf(m) === 'Running')
      );
    },
    {
      timeoutMs,
      what: `${count} Running machines (now: ${last.map((m) => `${m.metadata.name}=${phaseOf(m)}`).join(', ')})`,
      process: stack.machineController,
    },
  );
  return last;
}

export async function waitNoMachinesNoServers(stack: Stack, timeoutMs = 180_000): Promise<void> {
  await waitFor(async () => (await machines(stack)).length === 0 && stack.sim.servers().length === 0, {
    timeoutMs,
    what: 'no machines and no servers left',
    process: stack.machineController,
  });
}

/**
 * The invariant at the end of every scenario: one live server per Machine, none without one.
 * `ignoreServerIds`: servers that belong to someone else (another cluster) and must stay.
 * `machinePrefix`: only Machines (and servers made for Machines) whose name starts with it, for
 * scenarios running side by side on one stack.
 */
export async function assertServersMatchMachines(
  stack: Stack,
  opts: { ignoreServerIds?: readonly string[]; machinePrefix?: string } = {},
): Promise<string[]> {
  const prefix = opts.machinePrefix ?? '';
  const ms = (await machines(stack)).filter((m) => m.metadata.name.startsWith(prefix));
  const ignored = new Set(opts.ignoreServerIds ?? []);
  const servers = liveServers(stack).filter(
    (s) => !ignored.has(s.id) && machineOfServer(s).startsWith(prefix),
  );
  const problems: string[] = [];
  const byMachine = new Map<string, number>();
  for (const s of servers) {
    const m = s.metadata?.['kubernetes.io-machine'] ?? s.labels?.['kubernetes.io/machine'];
    byMachine.set(String(m), (byMachine.get(String(m)) ?? 0) + 1);
  }
  for (const m of ms) {
    const n = byMachine.get(m.metadata.name) ?? 0;
    if (n !== 1) problems.push(`machine ${m.metadata.name} has ${n} live servers`);
    byMachine.delete(m.metadata.name);
  }
  for (const [name, n] of byMachine)
    problems.push(`${n} live server(s) for ${name}, which has no Machine (leak)`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Building blocks for the scenarios (single Machine, deployment lifecycle, failures, orphans).

const NAMESPACE_LABEL = 'machine.sapcloud.io/namespace';
const MACHINE_LABEL = 'kubernetes.io/machine';
const CLASS_LABEL = 'kubernetes.io/machineclass';

/** The Machine a server was created for (full name from metadata, else the label). */
export function machineOfServer(s: { metadata?: Record<string, unknown>; labels?: Record<string, unknown> }) {
  return String(s.metadata?.['kubernetes.io-machine'] ?? s.labels?.[MACHINE_LABEL] ?? '');
}

/** The server id at the end of a Machine's ProviderID (stackit://<project>/<server>). */
export function serverIdOf(m: McmObject): string {
  return String(m.spec?.providerID ?? '')
    .split('/')
    .pop() as string;
}

export function lastOp(m: McmObject): {
  description: string;
  errorCode: string;
  state: string;
  type: string;
} {
  const op = m.status?.lastOperation ?? {};
  return {
    description: String(op.description ?? ''),
    errorCode: String(op.errorCode ?? ''),
    state: String(op.state ?? ''),
    type: String(op.type ?? ''),
  };
}

/** A MachineDeployment with a RollingUpdate strategy and optional per-Machine settings. */
export function deployment(
  stack: Stack,
  name: string,
  className: string,
  replicas: number,
  machineSpec: Record<string, unknown> = {},
): McmObject {
  const labels = { 'machine-deployment': name };
  return {
    apiVersion: 'machine.sapcloud.io/v1alpha1',
    kind: 'MachineDeployment',
    metadata: { name, namespace: stack.namespace },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: { class: { kind: 'MachineClass', name: className }, ...machineSpec },
      },
    },
  };
}

export function machinesOf(all: McmObject[], deploymentName: string): McmObject[] {
  return all.filter((m) => m.metadata?.labels?.['machine-deployment'] === deploymentName);
}

/** Polls until `check` holds for the current Machines; returns them. The message shows their phases. */
export async function waitMachines(
  stack: Stack,
  what: string,
  check: (ms: McmObject[]) => boolean,
  timeoutMs = 180_000,
): Promise<McmObject[]> {
  let last: McmObject[] = [];
  try {
    await waitFor(
      async () => {
        last = await machines(stack);
        return check(last);
      },
      { timeoutMs, intervalMs: 500, what, process: stack.machineController },
    );
  } catch (e) {
    const state = last.map((m) => `${m.metadata.name}=${phaseOf(m)} "${lastOp(m).description}"`).join('\n  ');
    throw new Error(`${(e as Error).message}\nmachines:\n  ${state}`);
  }
  return last;
}

export interface Observation {
  machine: string;
  phase: string;
  errorCode: string;
  description: string;
  state: string;
  type: string;
  providerID: string;
  /** When the watch first saw this state (epoch ms). */
  at: number;
}

/**
 * Records every distinct (phase, errorCode, description) each Machine shows, from a watch (every
 * update, also short-lived ones: a Failed Machine the MachineSet deletes within milliseconds) and,
 * as a fallback while the watch reconnects, a poll every second.
 */
export function observeMachines(stack: Stack) {
  const seen: Observation[] = [];
  const keys = new Set<string>();
  let stopped = false;
  const record = (m: McmObject) => {
    const o = {
      machine: m.metadata.name,
      phase: phaseOf(m),
      ...lastOp(m),
      providerID: String(m.spec?.providerID ?? ''),
    };
    const k = JSON.stringify(o);
    if (!keys.has(k)) {
      keys.add(k);
      seen.push({ ...o, at: Date.now() });
    }
  };
  let abort: AbortController | undefined;
  const path = `/apis/machine.sapcloud.io/v1alpha1/namespaces/${stack.namespace}/machines`;
  const startWatch = async (): Promise<void> => {
    if (stopped) return;
    try {
      abort = await new Watch(stack.cp.kubeConfig).watch(
        path,
        {},
        (_type, obj: McmObject) => record(obj),
        () => {
          if (!stopped) setTimeout(() => void startWatch(), 200);
        },
      );
    } catch {
      if (!stopped) setTimeout(() => void startWatch(), 500);
    }
  };
  void startWatch();
  const poll = (async () => {
    while (!stopped) {
      try {
        for (const m of await machines(stack)) record(m);
      } catch {
        // the API server is busy: next round
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    seen,
    async stop() {
      stopped = true;
      abort?.abort();
      await poll;
    },
  };
}

export async function deleteDeployment(stack: Stack, name: string): Promise<void> {
  await stack.objects.delete('machinedeployments', name);
}

/** Waits until no Machine, MachineSet, MachineDeployment and no server (in any state) is left. */
export async function waitAllGone(stack: Stack, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    async () =>
      (await machines(stack)).length === 0 &&
      (await stack.objects.list('machinesets')).length === 0 &&
      (await stack.objects.list('machinedeployments')).length === 0 &&
      stack.sim.servers().length === 0,
    {
      timeoutMs,
      intervalMs: 500,
      what: 'no MCM objects and no servers left',
      process: stack.machineController,
    },
  );
}

/** Whether a Node exists in the target cluster (here the same apiserver). */
export async function nodeExists(stack: Stack, name: string): Promise<boolean> {
  try {
    await stack.core.readNode({ name });
    return true;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return false;
    throw e;
  }
}

/**
 * Creates a server through the IaaS API with the stack's own credentials, behind the controller's
 * back: what a crashed controller, a manual `stackit server create` or another cluster leaves.
 */
export async function createServerBehindTheBack(
  stack: Stack,
  opts: { name: string; machine?: string; machineClass: string; namespace?: string; machineType?: string },
): Promise<{ id: string; name: string }> {
  const d = stack.sim.defaults;
  const token = await stack.sim.mintAccessToken(stack.key.credentials.kid);
  const machineName = opts.machine ?? opts.name;
  const labels: Record<string, string> = {
    [MACHINE_LABEL]: machineName,
    [CLASS_LABEL]: opts.machineClass,
    'kubernetes.io/cluster': opts.namespace ?? stack.namespace,
  };
  if (opts.namespace !== undefined) labels[NAMESPACE_LABEL] = opts.namespace;
  const res = await fetch(`${stack.sim.url}/v2/projects/${d.projectId}/regions/${d.region}/servers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      name: opts.name,
      machineType: opts.machineType ?? d.machineType,
      imageId: d.imageId,
      networking: { networkId: d.networkId },
      labels,
      metadata: { 'kubernetes.io-machine': machineName, 'kubernetes.io-machineclass': opts.machineClass },
    }),
  });
  if (res.status !== 201) throw new Error(`CreateServer answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; name: string };
}

/** Deletes a server through the admin-free IaaS API (cleanup of servers MCM must not touch). */
export async function deleteServerDirectly(stack: Stack, id: string): Promise<void> {
  const d = stack.sim.defaults;
  const token = await stack.sim.mintAccessToken(stack.key.credentials.kid);
  const res = await fetch(`${stack.sim.url}/v2/projects/${d.projectId}/regions/${d.region}/servers/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}` },
  });
  await res.body?.cancel();
  if (res.status !== 204 && res.status !== 404) throw new Error(`DeleteServer answered ${res.status}`);
}

/** Sets (or, with undefined, removes) top-level keys of the simulator's fault profile, keeping the rest. */
export function patchFaults(stack: Stack, patch: Partial<FaultProfile>): void {
  const next: Record<string, unknown> = { ...stack.sim.faults() };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  stack.sim.setFaults(next as FaultProfile);
}

/** Waits until no Machine and no server (in any state) whose name starts with `prefix` is left. */
export async function waitGone(stack: Stack, prefix: string, timeoutMs = 180_000): Promise<void> {
  await waitFor(
    async () =>
      (await machines(stack)).every((m) => !m.metadata.name.startsWith(prefix)) &&
      stack.sim.servers().every((s) => !s.name?.startsWith(prefix)),
    {
      timeoutMs,
      intervalMs: 500,
      what: `no machine and no server named ${prefix}* left`,
      process: stack.machineController,
    },
  );
}

/**
 * Issue 14's promise, watched for a whole scenario: a healthy boot never looks failed to Gardener.
 * Records every Machine that shows phase CrashLoopBackOff or Failed or a lastOperation with state
 * Failed, and every MachineSet or MachineDeployment with a non-empty status.failedMachines (what
 * Gardener's worker actuator and health check read), from watches of all three kinds plus a poll
 * every second as a fallback while a watch reconnects.
 */
export function watchHealthyBoots(stack: Stack) {
  const violations: string[] = [];
  const seen = new Set<string>();
  let machinesSeen = 0;
  const note = (v: string) => {
    if (!seen.has(v)) {
      seen.add(v);
      violations.push(v);
    }
  };
  const check = (kind: string, o: McmObject) => {
    const name = `${kind}/${o.metadata.name}`;
    if (kind === 'machines') {
      machinesSeen++;
      const phase = phaseOf(o);
      const op = lastOp(o);
      if (phase === 'CrashLoopBackOff' || phase === 'Failed')
        note(`${name} phase ${phase}: "${op.description}"`);
      if (op.state === 'Failed') note(`${name} lastOperation Failed (${op.errorCode}): "${op.description}"`);
    } else {
      const failed = (o.status?.failedMachines as unknown[] | undefined) ?? [];
      if (failed.length > 0) note(`${name} status.failedMachines: ${JSON.stringify(failed)}`);
    }
  };
  const kinds: McmPlural[] = ['machines', 'machinesets', 'machinedeployments'];
  let stopped = false;
  const aborts: AbortController[] = [];
  const startWatch = async (kind: McmPlural): Promise<void> => {
    if (stopped) return;
    const path = `/apis/machine.sapcloud.io/v1alpha1/namespaces/${stack.namespace}/${kind}`;
    try {
      aborts.push(
        await new Watch(stack.cp.kubeConfig).watch(
          path,
          {},
          (_type, obj: McmObject) => check(kind, obj),
          () => {
            if (!stopped) setTimeout(() => void startWatch(kind), 200);
          },
        ),
      );
    } catch {
      if (!stopped) setTimeout(() => void startWatch(kind), 500);
    }
  };
  for (const k of kinds) void startWatch(k);
  const poll = (async () => {
    while (!stopped) {
      for (const k of kinds) {
        try {
          for (const o of await stack.objects.list(k)) check(k, o);
        } catch {
          // the API server is busy: next round
        }
      }
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  return {
    violations,
    /** Stops watching and fails if anything looked failed, or if no Machine was ever seen. */
    async assertNothingLookedFailed(): Promise<void> {
      stopped = true;
      for (const a of aborts) a.abort();
      await poll;
      if (machinesSeen === 0) throw new Error('the healthy-boot watch saw no Machine at all');
      if (violations.length > 0)
        throw new Error(`a healthy boot looked failed to Gardener:\n  ${violations.join('\n  ')}`);
    },
  };
}

/** Polls the simulator every 200 ms and remembers when a server named `prefix`* was first seen in ERROR. */
export function watchServerErrors(stack: Stack, prefix: string) {
  let first: number | undefined;
  const timer = setInterval(() => {
    if (
      first === undefined &&
      stack.sim.servers().some((s) => s.name?.startsWith(prefix) && s.status === 'ERROR')
    )
      first = Date.now();
  }, 200);
  return {
    firstAt: () => first,
    stop: () => clearInterval(timer),
  };
}
