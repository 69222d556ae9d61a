// The ERROR scenario (issue 14): a MachineDeployment of N where a share of the first wave's servers
// end in ERROR (the simulator's bootFailure fault), measuring how fast the stack recovers.
//
// Which servers fail: deterministic, not a coin flip per server, so every run has the same number
// of ERRORs. The benchmark watches Machines; of the first N Machine names it sees, in order, it
// dooms every (1/share)-th (share 0.2, N = 10: the 5th and the 10th). A doomed name goes into the
// bootFailure fault's namePattern as soon as its Machine appears (MCM adds the finalizer before it
// calls CreateMachine, so this is before its server is created), and out of it as soon as a server
// with that name exists (the simulator decides at CreateServer). So exactly the first server of
// each doomed Machine boots into ERROR after the boot delay; replacements boot normally, whether
// they are new Machines (the new flow) or new servers under the same Machine (the old flow).
//
// Measured, with the simulator's servers polled every 200 ms and a watch on Machines:
// - each ERROR server's time from ERROR (the simulator's transition time, its updatedAt; the poll
//   finds it within 200 ms, but the driver may see it first) to its Machine showing phase Failed
//   (the new flow: the bridge marks it; the old flow never shows Failed);
// - from the first ERROR to N Machines Running (not being deleted), and from the create call;
// - from the first ERROR until none of the servers that went to ERROR is left (deleted and gone);
// - IaaS calls from the create call to all Running, Machines created, Machine writes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Watch } from '@kubernetes/client-node';
import { type McmObject, machineDeployment } from '../../stack/mcm-objects.ts';
import { PLUGIN_COMMAND, startStack } from '../../stack/stack.ts';
import { MachineWrites, type WriteSummary } from './machine-writes.ts';
import { GARDENER_MC_ARGS, GARDENER_MCM_ARGS } from './provisioning.ts';
import { diffOps, iaasTotal, load, type OpCounts, round, type Summary, sleep, summarize } from './stats.ts';

export interface ErrorOptions {
  label: string;
  n: number;
  /** Share of the first wave's Machines whose first server ends in ERROR. */
  share: number;
  bootDelayMs: number;
  joinDelayMs: number;
  deleteDelayMs: number;
  pluginCommand?: string;
  extraMcArgs?: string[];
  extraMcmArgs?: string[];
  logDir: string;
  timeoutMs: number;
  log: (msg: string) => void;
}

export interface ErrorServer {
  machine: string;
  serverId: string;
  /** Seconds since the create call: the simulator's ERROR transition (its updatedAt, ms). */
  erroredAt: number;
  /** When the 200 ms poll first saw it in ERROR. */
  seenAt: number;
  /** When its Machine first showed phase Failed (seconds since the create call). */
  machineFailedAt?: number;
  errorToFailedSeconds?: number;
}

export interface ErrorResult {
  label: string;
  n: number;
  share: number;
  bootDelayMs: number;
  joinDelayMs: number;
  deleteDelayMs: number;
  pluginCommand: string;
  faultMessage: string;
  loadAtStart: ReturnType<typeof load>;
  loadAtAllRunning?: ReturnType<typeof load>;
  stackStartSeconds: number;
  doomed: string[];
  /** Doomed Machines whose first server still came up ACTIVE (the fault was set too late). */
  doomedButActive: string[];
  errorServers: ErrorServer[];
  /** Per ERROR server, ERROR to its Machine showing Failed (only Machines that showed Failed). */
  errorToFailed?: Summary;
  /** Machines seen in phase Failed. */
  failedMachines: number;
  firstErrorSeconds?: number;
  /** A replacement needs a whole boot and join: boot + join delay after the ERROR. */
  idealRecoverySeconds: number;
  allRunningSeconds?: number;
  firstErrorToAllRunningSeconds?: number;
  lastErrorToAllRunningSeconds?: number;
  /** First ERROR until none of the servers that went to ERROR is left, in any state. */
  errorServersGoneSeconds?: number;
  machinesCreated: number;
  calls?: { byOperation: OpCounts; iaasCalls: number; byStatus: OpCounts };
  /** Writes per Machine: healthy (and replacement) Machines to first Running; doomed ones to Failed or Running. */
  machineWrites?: { healthy: WriteSummary; doomed: WriteSummary };
  runningTimeline: [number, number][];
  machinesCreatedTimeline: [number, number][];
  error?: string;
}

const phaseOf = (m: McmObject): string => m.status?.currentStatus?.phase ?? '';
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export async function runErrorScenario(o: ErrorOptions): Promise<ErrorResult> {
  const logDir = join(o.logDir, o.label);
  mkdirSync(logDir, { recursive: true });
  const loadAtStart = load();
  const startedAt = Date.now();
  const faultMessage = 'Failed to boot: kernel panic - not syncing (bench ERROR scenario)';
  o.log(`${o.label}: starting the stack (load ${loadAtStart.load1})`);
  const stack = await startStack({
    namespace: `shoot--bench--${o.label.replace(/[^a-z0-9-]/g, '-')}`,
    bootDelayMs: o.bootDelayMs,
    joinDelayMs: o.joinDelayMs,
    deleteDelayMs: o.deleteDelayMs,
    machineControllerArgs: [
      ...GARDENER_MC_ARGS,
      ...(o.pluginCommand ? [`--driver-plugin-command=${o.pluginCommand}`] : []),
      ...(o.extraMcArgs ?? []),
    ],
    mcmArgs: [...GARDENER_MCM_ARGS, ...(o.extraMcmArgs ?? [])],
    logDir,
  });
  const result: ErrorResult = {
    label: o.label,
    n: o.n,
    share: o.share,
    bootDelayMs: o.bootDelayMs,
    joinDelayMs: o.joinDelayMs,
    deleteDelayMs: o.deleteDelayMs,
    pluginCommand: o.pluginCommand ?? PLUGIN_COMMAND,
    faultMessage,
    loadAtStart,
    stackStartSeconds: round((Date.now() - startedAt) / 1000, 1),
    doomed: [],
    doomedButActive: [],
    errorServers: [],
    failedMachines: 0,
    idealRecoverySeconds: (o.bootDelayMs + o.joinDelayMs) / 1000,
    machinesCreated: 0,
    runningTimeline: [[0, 0]],
    machinesCreatedTimeline: [[0, 0]],
  };
  let abortWatch: AbortController | undefined;
  let poller: NodeJS.Timeout | undefined;
  let stopped = false;
  const doomed = new Set<string>();
  const outcome = new Map<string, 'ERROR' | 'ACTIVE'>(); // doomed name -> its first server's end
  const failedAt = new Map<string, number>();
  const errored = new Map<string, ErrorServer>(); // by server id
  try {
    await stack.createClass('bench-class');
    await sleep(3000); // the controllers' informers see the class first (as in provisioning.ts)

    let t0 = Date.now();
    const since = (t: number) => round((t - t0) / 1000, 2);
    const writes = new MachineWrites();
    const pending = new Set<string>(); // doomed, no server yet: in the fault's namePattern
    const seenOrder: string[] = [];
    const state = new Map<string, { rv: number; phase: string; deleting: boolean }>();
    let runningNow = 0;

    const setFault = () => {
      stack.sim.setFaults(
        pending.size === 0
          ? {}
          : {
              bootFailure: {
                namePattern: `^(${[...pending].map(escapeRe).join('|')})$`,
                message: faultMessage,
              },
            },
      );
    };
    const recount = () => {
      let r = 0;
      for (const s of state.values()) if (s.phase === 'Running' && !s.deleting) r++;
      if (r !== runningNow) {
        runningNow = r;
        result.runningTimeline.push([since(Date.now()), r]);
      }
    };
    const observe = (m: McmObject, deleted: boolean) => {
      const name = m.metadata?.name as string;
      if (deleted) {
        state.delete(name);
        recount();
        return;
      }
      const rv = Number(m.metadata?.resourceVersion ?? 0);
      const prev = state.get(name);
      if (prev && prev.rv >= rv) return;
      if (!seenOrder.includes(name)) {
        const i = seenOrder.length;
        seenOrder.push(name);
        result.machinesCreated = seenOrder.length;
        result.machinesCreatedTimeline.push([since(Date.now()), seenOrder.length]);
        if (i < o.n && Math.floor((i + 1) * o.share) > Math.floor(i * o.share)) {
          doomed.add(name);
          pending.add(name);
          setFault();
        }
      }
      const phase = phaseOf(m);
      state.set(name, { rv, phase, deleting: Boolean(m.metadata?.deletionTimestamp) });
      if (phase === 'Failed' && !failedAt.has(name)) {
        failedAt.set(name, Date.now());
        result.failedMachines++;
      }
      recount();
    };
    const path = `/apis/machine.sapcloud.io/v1alpha1/namespaces/${stack.namespace}/machines`;
    const startWatch = async () => {
      abortWatch = await new Watch(stack.cp.kubeConfig).watch(
        path,
        { allowWatchBookmarks: false },
        (type, obj) => {
          const m = obj as McmObject;
          const name = m.metadata?.name as string;
          writes.event(type, m);
          const phase = phaseOf(m);
          if (phase === 'Running' || (doomed.has(name) && phase === 'Failed')) writes.freeze(name);
          observe(m, type === 'DELETED');
        },
        () => {
          if (!stopped) {
            writes.watchRestarts++;
            startWatch().catch(() => undefined);
          }
        },
      );
    };
    let errorsGoneAt: number | undefined;
    const poll = () => {
      const now = Date.now();
      const servers = stack.sim.servers();
      for (const s of servers) {
        const name = s.name ?? '';
        if (pending.has(name)) {
          pending.delete(name);
          setFault();
        }
        if (doomed.has(name) && !outcome.has(name) && (s.status === 'ERROR' || s.status === 'ACTIVE'))
          outcome.set(name, s.status);
        if (s.status === 'ERROR' && !errored.has(s.id)) {
          // the simulator stamps the transition with its due time (updatedAt, ms); the poll only finds it
          const at = Date.parse(String(s.updatedAt ?? '')) || now;
          errored.set(s.id, { machine: name, serverId: s.id, erroredAt: since(at), seenAt: since(now) });
          o.log(`${o.label}: server ${name} ERROR at ${since(at)} s (seen at ${since(now)} s)`);
        }
      }
      // gone = none of the servers that went to ERROR is left in any state (DELETING included)
      const anyError = servers.some((s) => errored.has(s.id));
      if (anyError) errorsGoneAt = undefined;
      else if (errored.size > 0 && errorsGoneAt === undefined) errorsGoneAt = now;
    };

    const c0 = stack.sim.counters();
    t0 = Date.now();
    await startWatch();
    poller = setInterval(poll, 200);
    await stack.objects.create(
      'machinedeployments',
      machineDeployment('bench', stack.namespace, 'bench-class', o.n),
    );
    o.log(
      `${o.label}: MachineDeployment bench 0 -> ${o.n}, ${o.share * 100}% of the first wave's servers end in ERROR`,
    );
    let lastList = Date.now();
    let lastLog = 0;
    let allRunningAt: number | undefined;
    for (;;) {
      if (Date.now() - t0 > o.timeoutMs)
        throw new Error(
          `timeout: ${runningNow}/${o.n} Running, ${errored.size} ERROR servers after ${since(Date.now())} s`,
        );
      await sleep(200);
      if (Date.now() - lastList > 5000) {
        lastList = Date.now();
        for (const m of await stack.objects.list('machines').catch(() => [] as McmObject[]))
          observe(m, false);
      }
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        o.log(
          `${o.label}: ${round(since(Date.now()), 0)} s: ${seenOrder.length} Machines created, ${runningNow} Running, ${errored.size} ERROR servers, ${failedAt.size} Machines Failed`,
        );
      }
      const resolved = doomed.size > 0 && [...doomed].every((n) => outcome.has(n));
      if (resolved && errored.size === 0)
        throw new Error('no server ended in ERROR (the fault came too late)');
      if (resolved && runningNow >= o.n) {
        allRunningAt = Date.now();
        break;
      }
    }
    const c1 = stack.sim.counters();
    result.loadAtAllRunning = load();
    const errs = [...errored.values()];
    const firstError = Math.min(...errs.map((e) => e.erroredAt));
    const lastError = Math.max(...errs.map((e) => e.erroredAt));
    result.firstErrorSeconds = firstError;
    result.allRunningSeconds = since(allRunningAt);
    result.firstErrorToAllRunningSeconds = round(result.allRunningSeconds - firstError, 2);
    result.lastErrorToAllRunningSeconds = round(result.allRunningSeconds - lastError, 2);
    const byOperation = diffOps(c0.byOperation, c1.byOperation);
    result.calls = {
      byOperation,
      iaasCalls: iaasTotal(byOperation),
      byStatus: diffOps(c0.byStatus, c1.byStatus),
    };
    result.machineWrites = {
      healthy: writes.summary((n) => !doomed.has(n)),
      doomed: writes.summary((n) => doomed.has(n)),
    };
    o.log(
      `${o.label}: all ${o.n} Running after ${result.allRunningSeconds} s, ${result.firstErrorToAllRunningSeconds} s after the first ERROR (${errs.length} ERROR servers, ${failedAt.size} Machines Failed)`,
    );

    // The broken servers should go: wait up to 2 minutes until none is left (seen by the poll).
    const tGone = Date.now();
    while (Date.now() - tGone < 120_000 && errorsGoneAt === undefined) await sleep(200);
    if (errorsGoneAt !== undefined)
      result.errorServersGoneSeconds = round(since(errorsGoneAt) - firstError, 2);
    for (const e of errs) {
      const f = failedAt.get(e.machine);
      if (f !== undefined) {
        e.machineFailedAt = since(f);
        e.errorToFailedSeconds = round(e.machineFailedAt - e.erroredAt, 2);
      }
    }
    result.errorServers = errs;
    const toFailed = errs.flatMap((e) =>
      e.errorToFailedSeconds === undefined ? [] : [e.errorToFailedSeconds],
    );
    if (toFailed.length > 0) result.errorToFailed = summarize(toFailed);
  } catch (e) {
    result.error = (e as Error).message;
    o.log(`${o.label}: FAILED: ${result.error}`);
  } finally {
    stopped = true;
    result.doomed = [...doomed];
    result.doomedButActive = [...doomed].filter((n) => outcome.get(n) === 'ACTIVE');
    if (result.errorServers.length === 0) result.errorServers = [...errored.values()];
    if (poller) clearInterval(poller);
    abortWatch?.abort();
    await stack.stop();
  }
  return result;
}
