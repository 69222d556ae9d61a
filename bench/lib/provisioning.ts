// One run on the whole local stack: a MachineDeployment 0 -> N (provisioning), a steady-state
// window with N Machines Running (API economy, footprint), then N -> 0 until every server is gone
// (the rest of each Machine's lifecycle). IaaS calls come from the simulator's counters.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';
import type { FaultProfile } from '../../src/simulator/index.ts';
import { scale } from '../../stack/deployments.ts';
import { type McmObject, machineDeployment } from '../../stack/mcm-objects.ts';
import { PLUGIN_COMMAND, startStack } from '../../stack/stack.ts';
import { type FootprintPoint, peak, startFootprintSampler } from './footprint.ts';
import { MachineWrites, type WriteSummary } from './machine-writes.ts';
import {
  addOps,
  diffOps,
  iaasTotal,
  load,
  type OpCounts,
  perMachine,
  round,
  type Summary,
  sleep,
  summarize,
} from './stats.ts';

/**
 * machine-controller flags as Gardener runs the provider sidecar (gardener/gardener
 * pkg/component/machinecontrollermanager ProviderSidecarContainer); --concurrent-syncs (50),
 * --kube-api-qps (20) and --kube-api-burst (30) stay at MCM's defaults there, as here.
 */
export const GARDENER_MC_ARGS = [
  '--machine-creation-timeout=20m',
  '--machine-drain-timeout=2h',
  '--machine-health-timeout=10m',
  '--machine-safety-apiserver-statuscheck-timeout=30s',
  '--machine-safety-apiserver-statuscheck-period=1m',
  '--machine-safety-orphan-vms-period=30m',
  '--v=2',
];

/**
 * machine-controller-manager flags as Gardener's MCM deployment and MCM's integration tests pass
 * them. MachineSet creation is batched by MCM itself (slow start 1, 2, 4, ... at most
 * BurstReplicas = 100 creations per MachineSet sync).
 */
export const GARDENER_MCM_ARGS = ['--concurrent-syncs=30', '--kube-api-qps=150', '--kube-api-burst=200'];

export interface RunOptions {
  label: string;
  n: number;
  bootDelayMs: number;
  joinDelayMs: number;
  deleteDelayMs: number;
  steadyWindowMs: number;
  faults?: FaultProfile;
  /** Plugin command line (--driver-plugin-command); default: the harness's, node src/plugin/main.ts. */
  pluginCommand?: string;
  /** Appended to GARDENER_MC_ARGS / GARDENER_MCM_ARGS (later flags win). */
  extraMcArgs?: string[];
  extraMcmArgs?: string[];
  logDir: string;
  timeoutMs: number;
  log: (msg: string) => void;
}

interface PhaseCalls {
  byOperation: OpCounts;
  iaasCalls: number;
  tokenCalls: number;
  byStatus: OpCounts;
}

export interface RunResult {
  label: string;
  n: number;
  bootDelayMs: number;
  joinDelayMs: number;
  deleteDelayMs: number;
  faults?: FaultProfile;
  pluginCommand: string;
  loadAtStart: ReturnType<typeof load>;
  loadAtAllRunning?: ReturnType<typeof load>;
  loadAtEnd?: ReturnType<typeof load>;
  stackStartSeconds: number;
  idealSeconds: number;
  allRunningSeconds?: number;
  ratioToIdeal?: number;
  /** Per Machine, creationTimestamp (1 s resolution) to the first time it was seen Running. */
  timeToRunning?: Summary;
  /** Machine object writes (watch MODIFIED events) per Machine from its creation to its first Running. */
  machineWrites?: WriteSummary;
  runningTimeline: [number, number][];
  machinesCreatedTimeline: [number, number][];
  error?: string;
  calls: {
    provisioning?: PhaseCalls;
    steady?: PhaseCalls & { windowSeconds: number; iaasCallsPerMinute: number };
    scaleDown?: PhaseCalls;
    lifecycle?: PhaseCalls & { iaasCallsPerMachine: number; perMachineByOperation: OpCounts };
  };
  scaleDownSeconds?: number;
  footprint: {
    goPid: number;
    pluginPid?: number;
    atAllRunning?: FootprintPoint;
    atSteadyEnd?: FootprintPoint;
    peakRssMiB: { go: number; plugin: number };
    cpuSeconds: {
      provisioning?: { go: number; plugin: number };
      steady?: { go: number; plugin: number };
      total?: { go: number; plugin: number };
    };
    samples: FootprintPoint[];
  };
}

function phaseCalls(
  a: { byOperation: OpCounts; byStatus: OpCounts },
  b: { byOperation: OpCounts; byStatus: OpCounts },
): PhaseCalls {
  const byOperation = diffOps(a.byOperation, b.byOperation);
  return {
    byOperation,
    iaasCalls: iaasTotal(byOperation),
    tokenCalls: byOperation.Token ?? 0,
    byStatus: diffOps(a.byStatus, b.byStatus),
  };
}

const phaseOf = (m: McmObject): string => m.status?.currentStatus?.phase ?? '';

export async function runOnStack(o: RunOptions): Promise<RunResult> {
  const logDir = join(o.logDir, o.label);
  mkdirSync(logDir, { recursive: true });
  const loadAtStart = load();
  const startedAt = Date.now();
  o.log(`${o.label}: starting the stack (load ${loadAtStart.load1})`);
  const stack = await startStack({
    namespace: `shoot--bench--${o.label.replace(/[^a-z0-9-]/g, '-')}`,
    bootDelayMs: o.bootDelayMs,
    joinDelayMs: o.joinDelayMs,
    deleteDelayMs: o.deleteDelayMs,
    ...(o.faults ? { faults: o.faults } : {}),
    machineControllerArgs: [
      ...GARDENER_MC_ARGS,
      ...(o.pluginCommand ? [`--driver-plugin-command=${o.pluginCommand}`] : []),
      ...(o.extraMcArgs ?? []),
    ],
    mcmArgs: [...GARDENER_MCM_ARGS, ...(o.extraMcmArgs ?? [])],
    logDir,
  });
  const stackStartSeconds = (Date.now() - startedAt) / 1000;
  const idealSeconds = (o.bootDelayMs + o.joinDelayMs) / 1000;
  const result: RunResult = {
    label: o.label,
    n: o.n,
    bootDelayMs: o.bootDelayMs,
    joinDelayMs: o.joinDelayMs,
    deleteDelayMs: o.deleteDelayMs,
    ...(o.faults ? { faults: o.faults } : {}),
    pluginCommand: o.pluginCommand ?? PLUGIN_COMMAND,
    loadAtStart,
    stackStartSeconds: round(stackStartSeconds, 1),
    idealSeconds,
    runningTimeline: [[0, 0]],
    machinesCreatedTimeline: [[0, 0]],
    calls: {},
    footprint: {
      goPid: stack.machineController.pid,
      peakRssMiB: { go: 0, plugin: 0 },
      cpuSeconds: {},
      samples: [],
    },
  };
  let t0 = Date.now();
  const sampler = startFootprintSampler(stack.machineController.pid, () => t0);
  let abortWatch: AbortController | undefined;
  try {
    await stack.createClass('bench-class');
    // In a cluster the MachineClass exists long before a scale-up: give the controllers' informers
    // time to see it, or the first Machines fail with "machineclass not found" and retry later.
    await sleep(3000);
    const machines = new Map<string, { created: number; running?: number }>();
    let runningCount = 0;
    let stopped = false;
    let allRunningAt: number | undefined;
    const writes = new MachineWrites();
    const observe = (m: McmObject, deleted = false) => {
      const name = m.metadata?.name as string;
      if (deleted) {
        machines.delete(name);
        return;
      }
      let rec = machines.get(name);
      if (!rec) {
        rec = { created: Date.parse(m.metadata.creationTimestamp) };
        machines.set(name, rec);
        result.machinesCreatedTimeline.push([round((Date.now() - t0) / 1000, 2), machines.size]);
      }
      if (rec.running === undefined && phaseOf(m) === 'Running') {
        rec.running = Date.now();
        runningCount++;
        result.runningTimeline.push([round((Date.now() - t0) / 1000, 2), runningCount]);
        if (runningCount === o.n && allRunningAt === undefined) allRunningAt = Date.now();
      }
    };
    const path = `/apis/machine.sapcloud.io/v1alpha1/namespaces/${stack.namespace}/machines`;
    const startWatch = async () => {
      abortWatch = await new Watch(stack.cp.kubeConfig).watch(
        path,
        { allowWatchBookmarks: false },
        (type, obj) => {
          const m = obj as McmObject;
          writes.event(type, m);
          // counted up to and including the first event showing Running
          if (phaseOf(m) === 'Running') writes.freeze(m.metadata?.name as string);
          observe(m, type === 'DELETED');
        },
        () => {
          // the watch ended (timeout or error): the periodic list below catches up, and we re-watch
          if (!stopped) {
            writes.watchRestarts++;
            startWatch().catch(() => undefined);
          }
        },
      );
    };

    const c0 = stack.sim.counters();
    t0 = Date.now();
    await startWatch();
    await stack.objects.create(
      'machinedeployments',
      machineDeployment('bench', stack.namespace, 'bench-class', o.n),
    );
    o.log(
      `${o.label}: MachineDeployment bench 0 -> ${o.n} (boot ${o.bootDelayMs} ms, join ${o.joinDelayMs} ms)`,
    );
    let lastLog = 0;
    let lastList = Date.now();
    while (allRunningAt === undefined) {
      if (Date.now() - t0 > o.timeoutMs) {
        throw new Error(`timeout: ${runningCount}/${o.n} Running after ${(Date.now() - t0) / 1000} s`);
      }
      await sleep(250);
      if (Date.now() - lastList > 5000) {
        lastList = Date.now();
        for (const m of await stack.objects.list('machines').catch(() => [] as McmObject[])) observe(m);
      }
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        o.log(
          `${o.label}: ${round((Date.now() - t0) / 1000, 0)} s: ${machines.size} Machines, ${runningCount} Running`,
        );
      }
    }
    const c1 = stack.sim.counters();
    result.loadAtAllRunning = load();
    result.allRunningSeconds = round((allRunningAt - t0) / 1000, 2);
    result.ratioToIdeal = round(result.allRunningSeconds / idealSeconds, 3);
    result.timeToRunning = summarize(
      [...machines.values()]
        .filter((r) => r.running !== undefined)
        .map((r) => ((r.running as number) - r.created) / 1000),
    );
    result.machineWrites = writes.summary();
    result.calls.provisioning = phaseCalls(c0, c1);
    const atAllRunning = sampler.now();
    result.footprint.atAllRunning = atAllRunning;
    o.log(
      `${o.label}: all ${o.n} Running after ${result.allRunningSeconds} s (ideal ${idealSeconds} s, ratio ${result.ratioToIdeal}); ` +
        `${result.calls.provisioning.iaasCalls} IaaS calls so far; Machine writes per Machine mean ${round(result.machineWrites.all.mean, 2)} (status ${round(result.machineWrites.status.mean, 2)}), max ${result.machineWrites.all.max}`,
    );

    // Steady state: N Machines Running, nothing changes.
    let c2 = c1;
    let atSteadyEnd = atAllRunning;
    if (o.steadyWindowMs > 0) {
      o.log(`${o.label}: steady state for ${o.steadyWindowMs / 1000} s`);
      await sleep(o.steadyWindowMs);
      c2 = stack.sim.counters();
      atSteadyEnd = sampler.now();
      result.footprint.atSteadyEnd = atSteadyEnd;
      const steady = phaseCalls(c1, c2);
      result.calls.steady = {
        ...steady,
        windowSeconds: o.steadyWindowMs / 1000,
        iaasCallsPerMinute: round(steady.iaasCalls / (o.steadyWindowMs / 60_000), 2),
      };
    }

    // Scale down to 0 and wait until every Machine and every server is gone.
    const tDown = Date.now();
    await scale(stack, 'bench', 0);
    o.log(`${o.label}: scaled to 0`);
    for (;;) {
      if (Date.now() - tDown > o.timeoutMs) throw new Error('timeout waiting for the scale-down');
      const ms = await stack.objects.list('machines').catch(() => undefined);
      if (ms && ms.length === 0 && stack.sim.servers().length === 0) break;
      await sleep(1000);
    }
    stopped = true;
    abortWatch?.abort();
    const c3 = stack.sim.counters();
    result.scaleDownSeconds = round((Date.now() - tDown) / 1000, 1);
    result.calls.scaleDown = phaseCalls(c2, c3);
    const lifeOps = addOps(result.calls.provisioning.byOperation, result.calls.scaleDown.byOperation);
    const lifeStatus = addOps(result.calls.provisioning.byStatus, result.calls.scaleDown.byStatus);
    const lifeIaas = iaasTotal(lifeOps);
    result.calls.lifecycle = {
      byOperation: lifeOps,
      byStatus: lifeStatus,
      iaasCalls: lifeIaas,
      tokenCalls: lifeOps.Token ?? 0,
      iaasCallsPerMachine: round(lifeIaas / o.n, 3),
      perMachineByOperation: perMachine(lifeOps, o.n),
    };
    const end = sampler.stop();
    const cpu = (p: FootprintPoint | undefined, who: 'go' | 'plugin') => p?.[who]?.cpuSeconds ?? 0;
    const first = sampler.points[0];
    const span = (a: FootprintPoint | undefined, b: FootprintPoint | undefined) => ({
      go: round(cpu(b, 'go') - cpu(a, 'go'), 2),
      plugin: round(cpu(b, 'plugin') - cpu(a, 'plugin'), 2),
    });
    result.footprint.cpuSeconds = {
      provisioning: span(first, atAllRunning),
      ...(o.steadyWindowMs > 0 ? { steady: span(atAllRunning, atSteadyEnd) } : {}),
      total: span(first, end),
    };
    result.loadAtEnd = load();
    o.log(
      `${o.label}: all gone after ${result.scaleDownSeconds} s; lifecycle ${result.calls.lifecycle.iaasCallsPerMachine} IaaS calls per Machine`,
    );
  } catch (e) {
    result.error = (e as Error).message;
    o.log(`${o.label}: FAILED: ${result.error}`);
    sampler.stop();
  } finally {
    abortWatch?.abort();
    const pluginPid = sampler.pluginPid;
    if (pluginPid !== undefined) result.footprint.pluginPid = pluginPid;
    result.footprint.peakRssMiB = {
      go: round(peak(sampler.points, 'go'), 1),
      plugin: round(peak(sampler.points, 'plugin'), 1),
    };
    // Keep the samples small: one every 5 s.
    result.footprint.samples = sampler.points.filter((_, i) => i % 5 === 0);
    await stack.stop();
  }
  return result;
}
