// The benchmark's verdicts against issue 9's targets, and the Markdown summary.
import type { BridgeResult } from './bridge.ts';
import type { ErrorResult } from './error-scenario.ts';
import type { ListsResult } from './lists.ts';
import type { RunResult } from './provisioning.ts';
import { round } from './stats.ts';

export interface BenchResult {
  command: string;
  config: string;
  /** false while the benchmark is still running (or when it was interrupted). */
  complete: boolean;
  startedAt: string;
  finishedAt: string;
  gitCommit: string;
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string };
  options: Record<string, unknown>;
  runs: RunResult[];
  throttling?: RunResult;
  errorRun?: ErrorResult;
  lists?: ListsResult;
  bridge?: BridgeResult;
  targets: Target[];
  charts: Record<string, string>;
}

export interface Target {
  target: string;
  /** 'reported': a number to watch, without a threshold. */
  status: 'met' | 'missed' | 'not measured' | 'reported';
  value: string;
  note: string;
}

const fmt = (x: number | undefined, d = 1) =>
  x === undefined || Number.isNaN(x) ? '–' : String(round(x, d));

export function evaluateTargets(r: Omit<BenchResult, 'targets'>): Target[] {
  const ok = r.runs.filter((x) => !x.error);
  const out: Target[] = [];

  // 1. N = 200 within 1.3x the ideal.
  const n200 = ok.find((x) => x.n === 200);
  if (n200?.ratioToIdeal !== undefined) {
    const met = n200.ratioToIdeal <= 1.3;
    out.push({
      target: 'N = 200: all Running within 1.3x the ideal (boot + join)',
      status: met ? 'met' : 'missed',
      value: `${n200.allRunningSeconds} s vs ideal ${n200.idealSeconds} s = ${n200.ratioToIdeal}x`,
      note: met
        ? `Machine time-to-Running p50 ${fmt(n200.timeToRunning?.p50)} s, p90 ${fmt(n200.timeToRunning?.p90)} s, max ${fmt(n200.timeToRunning?.max)} s.`
        : `Missed by ${round((n200.ratioToIdeal - 1.3) * n200.idealSeconds, 1)} s (${round((n200.ratioToIdeal / 1.3 - 1) * 100, 0)}% over). ` +
          'Contributors: MCM retries a booting Machine every 5 s (up to 5 s after ACTIVE before it is seen), ' +
          "MachineSet slow-start batches (1, 2, 4, ... at most 100 creations per sync), the machine-controller's kube-api-qps 20 " +
          'for the status writes of N Machines, and the 2-core machine shared by apiserver, etcd, both controllers, the plugin and the simulator.',
    });
  } else {
    const largest = [...ok].sort((a, b) => b.n - a.n)[0];
    out.push({
      target: 'N = 200: all Running within 1.3x the ideal (boot + join)',
      status: 'not measured',
      value: largest
        ? `largest run N = ${largest.n}: ${largest.allRunningSeconds} s = ${largest.ratioToIdeal}x ideal`
        : '–',
      note: 'no successful N = 200 run in this configuration',
    });
  }

  // 2. <= 6 IaaS calls per Machine lifecycle.
  const life = ok.filter((x) => x.calls.lifecycle);
  if (life.length > 0) {
    const worst = Math.max(...life.map((x) => x.calls.lifecycle?.iaasCallsPerMachine ?? 0));
    const values = life.map((x) => `N=${x.n}: ${x.calls.lifecycle?.iaasCallsPerMachine}`).join(', ');
    out.push({
      target: 'At most 6 IaaS calls per Machine lifecycle (create -> Running -> scale-down -> gone)',
      status: worst <= 6 ? 'met' : 'missed',
      value: values,
      note:
        worst <= 6
          ? 'Booting and deleting Machines are answered from one shared labelled list per class (at most every 5 s), so the count does not grow with the boot delay.'
          : `Missed by ${round(worst - 6, 2)} calls per Machine; see the per-operation table for which calls exceed the budget.`,
    });
  } else {
    out.push({
      target: 'At most 6 IaaS calls per Machine lifecycle',
      status: 'not measured',
      value: '–',
      note: '',
    });
  }

  // 2b. Machine writes per Machine during provisioning (no threshold; issue 14).
  const withWrites = ok.filter((x) => x.machineWrites);
  out.push({
    target: 'Machine object writes per Machine during provisioning (creation -> first Running)',
    status: withWrites.length > 0 ? 'reported' : 'not measured',
    value:
      withWrites
        .map(
          (x) =>
            `N=${x.n}: mean ${fmt(x.machineWrites?.all.mean, 2)}, p50 ${fmt(x.machineWrites?.all.p50, 0)}, max ${fmt(x.machineWrites?.all.max, 0)} (status ${fmt(x.machineWrites?.status.mean, 2)}, main ${fmt(x.machineWrites?.main.mean, 2)})`,
        )
        .join('; ') || '–',
    note: 'Watch MODIFIED events, all writers; status = writes of the status subresource (exact), writers by managedFields in the provisioning section.',
  });

  // 3. Steady state sublinear in N.
  const steady = ok.filter((x) => x.calls.steady).sort((a, b) => a.n - b.n);
  if (steady.length >= 2) {
    const a = steady[0] as RunResult;
    const b = steady[steady.length - 1] as RunResult;
    const ra = a.calls.steady?.iaasCallsPerMinute ?? 0;
    const rb = b.calls.steady?.iaasCallsPerMinute ?? 0;
    const growth = ra === 0 ? (rb === 0 ? 1 : Number.POSITIVE_INFINITY) : rb / ra;
    const nGrowth = b.n / a.n;
    out.push({
      target: 'Steady state: IaaS calls per minute grow sublinearly with N',
      status: growth < nGrowth ? 'met' : 'missed',
      value: steady.map((x) => `N=${x.n}: ${x.calls.steady?.iaasCallsPerMinute}/min`).join(', '),
      note: `N grew ${round(nGrowth, 2)}x, calls per minute ${Number.isFinite(growth) ? `${round(growth, 2)}x` : 'from 0'}. With Machines Running MCM does not call the driver; the only periodic call is ListMachines (one labelled list per class) every --machine-safety-orphan-vms-period (30 min in Gardener).`,
    });
  } else {
    const one = steady[0];
    out.push({
      target: 'Steady state: IaaS calls per minute grow sublinearly with N',
      status: 'not measured',
      value: one ? `N=${one.n}: ${one.calls.steady?.iaasCallsPerMinute}/min` : '–',
      note: 'needs steady-state windows at two values of N',
    });
  }

  // 4. Plugin peak RSS at 1000 Machines.
  const k = ok.find((x) => x.n >= 1000);
  const largest = [...ok].sort((a, b) => b.n - a.n)[0];
  if (k && k.footprint.peakRssMiB.plugin === 0) {
    out.push({
      target: 'TypeScript driver process peak RSS <= 150 MiB with 1000 Machines',
      status: 'not measured',
      value: `plugin not sampled; Go machine-controller ${k.footprint.peakRssMiB.go} MiB`,
      note: "the plugin process was not found among the machine-controller's children (before the fix that reads every thread's /proc/<pid>/task/<tid>/children)",
    });
  } else if (k) {
    out.push({
      target: 'TypeScript driver process peak RSS <= 150 MiB with 1000 Machines',
      status: k.footprint.peakRssMiB.plugin <= 150 ? 'met' : 'missed',
      value: `plugin ${k.footprint.peakRssMiB.plugin} MiB, Go machine-controller ${k.footprint.peakRssMiB.go} MiB`,
      note:
        k.footprint.peakRssMiB.plugin <= 150
          ? ''
          : `Missed by ${round(k.footprint.peakRssMiB.plugin - 150, 1)} MiB (RSS ${fmt(k.footprint.atAllRunning?.plugin?.rssMiB)} MiB at all Running, ${fmt(k.footprint.atSteadyEnd?.plugin?.rssMiB)} MiB at the end of the steady window). ` +
            'Check the plugin command below: the shipped one (`--plugin shipped`) runs compiled JS with small V8 semi-spaces and a capped old space; the plugin from source adds about 30 MiB for type stripping.',
    });
  } else {
    out.push({
      target: 'TypeScript driver process peak RSS <= 150 MiB with 1000 Machines',
      status: 'not measured',
      value: largest
        ? `at N=${largest.n}: plugin ${largest.footprint.peakRssMiB.plugin} MiB, Go ${largest.footprint.peakRssMiB.go} MiB`
        : '–',
      note: 'no N = 1000 run in this configuration (`--n 1000`)',
    });
  }

  // 4b. Go + plugin together at N = 100 (issue 17), next to the Go provider's single process.
  const n100 = ok.find((x) => x.n === 100 && x.footprint.peakRssMiB.plugin > 0);
  if (n100) {
    const both = round(n100.footprint.peakRssMiB.go + n100.footprint.peakRssMiB.plugin, 1);
    out.push({
      target: 'N = 100: Go machine-controller + plugin peak RSS together <= 150 MiB',
      status: both <= 150 ? 'met' : 'missed',
      value: `${both} MiB (Go ${n100.footprint.peakRssMiB.go} + plugin ${n100.footprint.peakRssMiB.plugin} MiB)`,
      note: both <= 150 ? '' : `Missed by ${round(both - 150, 1)} MiB.`,
    });
  }

  // 5. Bridge p99.
  if (r.bridge?.p99Ms !== undefined) {
    const met = r.bridge.p99Ms < 2;
    out.push({
      target: 'The bridge adds under 2 ms p99 per driver call',
      status: met ? 'met' : 'missed',
      value: `p50 ${fmt(r.bridge.p50Ms, 2)} ms, p90 ${fmt(r.bridge.p90Ms, 2)} ms, p99 ${fmt(r.bridge.p99Ms, 2)} ms, max ${fmt(r.bridge.maxMs, 2)} ms`,
      note: met
        ? ''
        : `Missed by ${round(r.bridge.p99Ms - 2, 2)} ms. The median is well under 1 ms; the tail is Node's garbage collection and scheduling on a 2-core machine shared with the Go test and other work (load at the time in the run header). Reruns on a quiet machine vary by about 0.5 ms around 2 ms.`,
    });
  } else {
    out.push({
      target: 'The bridge adds under 2 ms p99 per driver call',
      status: 'not measured',
      value: r.bridge?.error ? 'measurement failed' : '–',
      note: r.bridge?.error ?? '',
    });
  }
  return out;
}

function opsTable(rows: { label: string; ops: Record<string, number> }[]): string[] {
  const ops = [...new Set(rows.flatMap((r) => Object.keys(r.ops)))].sort();
  if (ops.length === 0) return ['(no calls)'];
  return [
    `| run | ${ops.join(' | ')} |`,
    `| --- | ${ops.map(() => '---:').join(' | ')} |`,
    ...rows.map((r) => `| ${r.label} | ${ops.map((o) => r.ops[o] ?? 0).join(' | ')} |`),
  ];
}

export function markdown(r: BenchResult, files: { json: string; charts: Record<string, string> }): string {
  const L: string[] = [];
  const ok = r.runs.filter((x) => !x.error);
  L.push(`# Benchmark ${r.config}: ${r.startedAt}`);
  L.push('');
  L.push(`Command: \`${r.command}\``);
  L.push('');
  if (!r.complete) {
    L.push(
      '**Partial results**: written after a part finished; the benchmark was still running or was interrupted.',
    );
    L.push('');
  }
  L.push(
    `Commit ${r.gitCommit}; ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memGiB} GiB; Node ${r.machine.node}. ` +
      `Started ${r.startedAt}, finished ${r.finishedAt}. Raw numbers: [${files.json}](${files.json}).`,
  );
  L.push('');
  L.push(
    'Everything runs on this one machine: etcd, kube-apiserver, Gardener machine-controller-manager, our machine-controller (Go) with the TypeScript plugin, the node simulator and the STACKIT simulator (in the benchmark process). Load averages are recorded per run because other work shared the machine.',
  );
  L.push('');
  L.push('## Targets');
  L.push('');
  L.push('| target | status | measured | note |');
  L.push('| --- | --- | --- | --- |');
  for (const t of r.targets) L.push(`| ${t.target} | **${t.status}** | ${t.value} | ${t.note} |`);
  L.push('');

  const all = [...r.runs, ...(r.throttling ? [r.throttling] : [])];
  if (all.length > 0) {
    L.push('## Provisioning (MachineDeployment 0 -> N)');
    L.push('');
    L.push(
      `machine-controller flags (Gardener's provider sidecar): \`${String(r.options.mcArgs ?? '')}\`; machine-controller-manager: \`${String(r.options.mcmArgs ?? '')}\`.`,
    );
    L.push('');
    L.push(
      '| run | N | boot / join / delete delay | ideal | all Running | ratio | time-to-Running p50 / p90 / max | Machine writes per Machine mean / p50 / max (status) | scale-down to gone | load 1m start / all Running |',
    );
    L.push('| --- | ---: | --- | ---: | ---: | ---: | --- | --- | ---: | --- |');
    for (const x of all) {
      L.push(
        `| ${x.label} | ${x.n} | ${x.bootDelayMs / 1000} / ${x.joinDelayMs / 1000} / ${x.deleteDelayMs / 1000} s | ${x.idealSeconds} s | ${x.error ? `FAILED: ${x.error}` : `${x.allRunningSeconds} s`} | ${fmt(x.ratioToIdeal, 2)} | ${fmt(x.timeToRunning?.p50)} / ${fmt(x.timeToRunning?.p90)} / ${fmt(x.timeToRunning?.max)} s | ${x.machineWrites ? `${fmt(x.machineWrites.all.mean, 2)} / ${fmt(x.machineWrites.all.p50, 0)} / ${fmt(x.machineWrites.all.max, 0)} (${fmt(x.machineWrites.status.mean, 2)})` : '–'} | ${fmt(x.scaleDownSeconds)} s | ${x.loadAtStart.load1} / ${x.loadAtAllRunning?.load1 ?? '–'} |`,
      );
    }
    L.push('');
    L.push(
      'Time-to-Running is per Machine from its creationTimestamp (1 s resolution) to the first watch event showing phase Running.',
    );
    L.push('');
    const w = all.filter((x) => x.machineWrites);
    if (w.length > 0) {
      L.push(
        'Machine writes: watch MODIFIED events per Machine from its creation up to and including the first event showing Running (the API server sends no event for a write that changes nothing). Status vs main resource is exact (the Machine CRD has the status subresource); the writer comes from `metadata.managedFields` (the entry, manager operation [subresource], whose time moved since the previous event; a second write of one manager within the same second moves no time and is given to the entry of its kind whose fields changed, else the newest one: the "inferred" share). Mean writes per Machine by writer:',
      );
      L.push('');
      const writers = [...new Set(w.flatMap((x) => Object.keys(x.machineWrites?.byWriterMean ?? {})))];
      L.push(
        `| run | all | status | main | ${writers.map((k) => `\`${k}\``).join(' | ')} | inferred | watch restarts |`,
      );
      L.push(`| --- | ---: | ---: | ---: | ${writers.map(() => '---:').join(' | ')} | ---: | ---: |`);
      for (const x of w) {
        const mw = x.machineWrites;
        if (!mw) continue;
        L.push(
          `| ${x.label} | ${fmt(mw.all.mean, 2)} | ${fmt(mw.status.mean, 2)} | ${fmt(mw.main.mean, 2)} | ${writers.map((k) => fmt(mw.byWriterMean[k] ?? 0, 2)).join(' | ')} | ${round(mw.inferredShare * 100, 1)}% | ${mw.watchRestarts} |`,
        );
      }
      L.push('');
    }
    for (const [label, file] of Object.entries(files.charts))
      L.push(`![Machines Running, ${label}](${file})`);
    L.push('');
  }

  if (ok.length > 0) {
    L.push('## API economy');
    L.push('');
    L.push(
      'IaaS calls per Machine over a whole lifecycle (create -> Running -> scale to 0 -> server gone), by operation (the steady-state window is left out; token requests are listed but are not IaaS calls):',
    );
    L.push('');
    L.push(
      ...opsTable(
        [...ok, ...(r.throttling && !r.throttling.error ? [r.throttling] : [])].map((x) => ({
          label: `${x.label} (${x.calls.lifecycle?.iaasCallsPerMachine ?? '–'} per Machine)`,
          ops: x.calls.lifecycle?.perMachineByOperation ?? {},
        })),
      ),
    );
    L.push('');
    L.push(
      '| run | provisioning IaaS calls | scale-down IaaS calls | lifecycle total | per Machine | steady window | steady IaaS calls/min |',
    );
    L.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const x of ok) {
      L.push(
        `| ${x.label} | ${x.calls.provisioning?.iaasCalls ?? '–'} | ${x.calls.scaleDown?.iaasCalls ?? '–'} | ${x.calls.lifecycle?.iaasCalls ?? '–'} | ${x.calls.lifecycle?.iaasCallsPerMachine ?? '–'} | ${x.calls.steady ? `${x.calls.steady.windowSeconds} s` : '–'} | ${x.calls.steady?.iaasCallsPerMinute ?? '–'} |`,
      );
    }
    L.push('');
    L.push('## Footprint');
    L.push('');
    L.push(
      `From /proc: peak RSS = VmHWM, CPU = utime + stime. The plugin is the Go process's child: ${r.options.plugin === 'src' ? 'node src/plugin/main.ts with type stripping, as the tests run it (the default `--plugin shipped` runs the compiled JS with the shipped V8 flags)' : 'the compiled plugin with the V8 flags the machine-controller passes by default, as the image runs it'} (command below).`,
    );
    L.push('');
    L.push(
      '| run | N | plugin peak RSS | plugin RSS at all Running / end of steady | plugin CPU s provisioning / steady / total | Go peak RSS | Go RSS at all Running / end of steady | Go CPU s provisioning / steady / total |',
    );
    L.push('| --- | ---: | ---: | --- | --- | ---: | --- | --- |');
    for (const x of [...ok, ...(r.throttling && !r.throttling.error ? [r.throttling] : [])]) {
      const f = x.footprint;
      const c = f.cpuSeconds;
      L.push(
        `| ${x.label} | ${x.n} | ${f.peakRssMiB.plugin} MiB | ${fmt(f.atAllRunning?.plugin?.rssMiB)} / ${fmt(f.atSteadyEnd?.plugin?.rssMiB)} MiB | ${fmt(c.provisioning?.plugin, 2)} / ${fmt(c.steady?.plugin, 2)} / ${fmt(c.total?.plugin, 2)} | ${f.peakRssMiB.go} MiB | ${fmt(f.atAllRunning?.go?.rssMiB)} / ${fmt(f.atSteadyEnd?.go?.rssMiB)} MiB | ${fmt(c.provisioning?.go, 2)} / ${fmt(c.steady?.go, 2)} / ${fmt(c.total?.go, 2)} |`,
      );
    }
    L.push('');
  }

  if (ok.length > 0 && r.options.pluginCommand) {
    L.push(`Plugin command: \`${String(r.options.pluginCommand)}\`.`);
    L.push('');
  }

  if (r.throttling) {
    const t = r.throttling;
    L.push('## Under throttling');
    L.push('');
    L.push(
      `The simulator answers 429 (Retry-After 1 s) to ${String(r.options.throttleRate ?? 0.3)} of all calls (\`${JSON.stringify(t.faults)}\`).`,
    );
    L.push('');
    if (t.error) L.push(`FAILED: ${t.error}`);
    else {
      const p = t.calls.provisioning;
      L.push(
        `N = ${t.n}: all Running after **${t.allRunningSeconds} s** (ideal ${t.idealSeconds} s, ${t.ratioToIdeal}x); provisioning made ${p?.iaasCalls} IaaS calls (${p?.byStatus['429'] ?? 0} of them answered 429) and ${p?.tokenCalls} token requests; the whole lifecycle ${t.calls.lifecycle?.iaasCalls} IaaS calls = ${t.calls.lifecycle?.iaasCallsPerMachine} per Machine. Status codes over the lifecycle: \`${JSON.stringify(t.calls.lifecycle?.byStatus)}\`.`,
      );
    }
    L.push('');
  }

  if (r.errorRun) {
    const e = r.errorRun;
    L.push(`## Servers ending in ERROR (N = ${e.n})`);
    L.push('');
    L.push(
      `A MachineDeployment of ${e.n} (boot ${e.bootDelayMs / 1000} s, join ${e.joinDelayMs / 1000} s, delete ${e.deleteDelayMs / 1000} s) where the first server of every ${round(1 / e.share, 2)}th Machine of the first wave (share ${e.share}, in the order the Machines appear) ends in ERROR: the simulator's \`bootFailure\` fault with a namePattern of exactly those Machine names, each name dropped from it as soon as its server exists, so replacements boot normally (new Machines in the new flow, new servers under the same Machine in the old one). Servers polled every 200 ms; an ERROR's time is the simulator's transition time (the server's updatedAt, ms), Machines watched (phase Failed = first watch event showing it). The ideal recovery is a replacement's boot + join (${e.idealRecoverySeconds} s) after the ERROR.`,
    );
    L.push('');
    if (e.error) L.push(`FAILED: ${e.error}`);
    else {
      const hw = e.machineWrites?.healthy;
      const dw = e.machineWrites?.doomed;
      const ws = (x: typeof hw) =>
        x && x.machines > 0
          ? `mean ${fmt(x.all.mean, 2)}, p50 ${fmt(x.all.p50, 0)}, max ${fmt(x.all.max, 0)} (status mean ${fmt(x.status.mean, 2)}) over ${x.machines} Machines`
          : '–';
      L.push('| measurement | value |');
      L.push('| --- | --- |');
      L.push(
        `| Machines doomed / their first server ended in ERROR | ${e.doomed.length} / ${e.errorServers.length}${e.doomedButActive.length > 0 ? ` (ACTIVE despite the fault: ${e.doomedButActive.join(', ')})` : ''} |`,
      );
      L.push(`| first ERROR after the create call | ${fmt(e.firstErrorSeconds, 2)} s |`);
      L.push(
        `| ERROR -> its Machine phase Failed | ${e.errorToFailed ? `p50 ${fmt(e.errorToFailed.p50, 2)} s, max ${fmt(e.errorToFailed.max, 2)} s, mean ${fmt(e.errorToFailed.mean, 2)} s (${e.errorToFailed.count} of ${e.errorServers.length})` : 'no Machine showed phase Failed'} |`,
      );
      L.push(
        `| **first ERROR -> all ${e.n} Running** | **${fmt(e.firstErrorToAllRunningSeconds, 2)} s** (ideal ${e.idealRecoverySeconds} s = ${fmt((e.firstErrorToAllRunningSeconds ?? 0) / e.idealRecoverySeconds, 2)}x) |`,
      );
      L.push(`| last ERROR -> all ${e.n} Running | ${fmt(e.lastErrorToAllRunningSeconds, 2)} s |`);
      L.push(`| create call -> all ${e.n} Running | ${fmt(e.allRunningSeconds, 2)} s |`);
      L.push(
        `| first ERROR -> every ERROR server gone (deleted) | ${e.errorServersGoneSeconds === undefined ? 'ERROR servers still there 2 min after all Running' : `${fmt(e.errorServersGoneSeconds, 2)} s`} |`,
      );
      L.push(`| Machines created / seen Failed | ${e.machinesCreated} / ${e.failedMachines} |`);
      L.push(
        `| IaaS calls, create call -> all Running | ${e.calls?.iaasCalls ?? '–'}: \`${JSON.stringify(e.calls?.byOperation ?? {})}\` |`,
      );
      L.push(`| Machine writes, healthy and replacement Machines (creation -> Running) | ${ws(hw)} |`);
      L.push(`| Machine writes, doomed Machines (creation -> Failed or Running) | ${ws(dw)} |`);
      L.push(
        `| load 1m start / all Running | ${e.loadAtStart.load1} / ${e.loadAtAllRunning?.load1 ?? '–'} |`,
      );
      L.push('');
      L.push('| doomed Machine | ERROR at (poll saw it) | Machine Failed at | ERROR -> Failed |');
      L.push('| --- | ---: | ---: | ---: |');
      for (const x of e.errorServers)
        L.push(
          `| ${x.machine} | ${x.erroredAt} s (${x.seenAt} s) | ${x.machineFailedAt === undefined ? '–' : `${x.machineFailedAt} s`} | ${x.errorToFailedSeconds === undefined ? '–' : `${x.errorToFailedSeconds} s`} |`,
        );
    }
    L.push('');
  }

  if (r.lists) {
    const l = r.lists;
    L.push('## Lists');
    L.push('');
    L.push(
      `${l.servers} servers in the project, ${l.inClass} of them in the class (the rest in 24 other classes, half in another cluster's namespace); STACKIT driver in-process against the in-process simulator (seeded in ${round(l.seedSeconds, 1)} s).`,
    );
    L.push('');
    L.push('| measurement | value |');
    L.push('| --- | --- |');
    L.push(
      `| ListMachines, first call (token + list) | ${fmt(l.listMachines.cold.ms, 1)} ms, calls ${JSON.stringify(l.listMachines.cold.iaasCalls)} |`,
    );
    L.push(
      `| ListMachines, ${l.listMachines.warm.calls} more calls | p50 ${fmt(l.listMachines.warm.p50, 1)} ms, p90 ${fmt(l.listMachines.warm.p90, 1)} ms, max ${fmt(l.listMachines.warm.max, 1)} ms; ${l.listMachines.warm.iaasCallsPerCall} IaaS call per call |`,
    );
    L.push(
      `| ListMachines answer | ${l.listMachines.entries} entries, ${l.listMachines.responseBytes} bytes of JSON |`,
    );
    L.push(
      `| ListServers details=true, class label_selector (what the driver fetches) | ${l.listServers.classSelectorDetails.items} items, ${l.listServers.classSelectorDetails.bytes} bytes, ${fmt(l.listServers.classSelectorDetails.ms, 1)} ms |`,
    );
    L.push(
      `| ListServers details=true, whole project (what an unlabelled list would fetch) | ${l.listServers.wholeProjectDetails.items} items, ${l.listServers.wholeProjectDetails.bytes} bytes, ${fmt(l.listServers.wholeProjectDetails.ms, 1)} ms |`,
    );
    L.push(
      `| ${l.statusBurst.machines} concurrent GetMachineStatus (fresh driver, empty inventory) | ${fmt(l.statusBurst.wallMs, 1)} ms wall, IaaS calls ${JSON.stringify(l.statusBurst.iaasCalls)}, outcomes ${JSON.stringify(l.statusBurst.outcomes)} |`,
    );
    L.push('');
  }

  if (r.bridge) {
    L.push('## Bridge latency');
    L.push('');
    if (r.bridge.error) L.push(`Measurement failed: ${r.bridge.error}`);
    else
      L.push(
        `${r.bridge.calls} sequential GetMachineStatus calls through the real bridge (Go -> gRPC over the Unix socket -> TypeScript plugin -> in-memory driver), plugin log level info: p50 ${fmt(r.bridge.p50Ms, 3)} ms, p90 ${fmt(r.bridge.p90Ms, 3)} ms, **p99 ${fmt(r.bridge.p99Ms, 3)} ms**, max ${fmt(r.bridge.maxMs, 3)} ms; plugin RSS ${r.bridge.pluginRss ?? '?'}. Command: \`${r.bridge.command}\`.`,
      );
    L.push('');
  }
  return `${L.join('\n')}\n`;
}
