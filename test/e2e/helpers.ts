// Reading the stack's state the way an operator would: Machines and their phases, servers in the
// simulator, Nodes.
import { CustomObjectsApi } from '@kubernetes/client-node';
import type { McmObject } from '../harness/mcm-objects.ts';
import { waitFor } from '../harness/processes.ts';
import type { Stack } from '../harness/stack.ts';

export async function machines(stack: Stack): Promise<McmObject[]> {
  return stack.objects.list('machines');
}

export const phaseOf = (m: McmObject): string => m.status?.currentStatus?.phase ?? '';

/** Servers of this stack's namespace that are not on their way out. */
export function liveServers(stack: Stack) {
  return stack.sim.servers().filter((s) => s.status !== 'DELETING' && s.status !== 'DELETED');
}

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

/** The invariant at the end of every scenario: one live server per Machine, none without one. */
export async function assertServersMatchMachines(stack: Stack): Promise<string[]> {
  const ms = await machines(stack);
  const servers = liveServers(stack);
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
