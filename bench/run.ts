// `npm run bench`: provisioning speed, API economy, footprint, lists, throttling and bridge latency
// of the STACKIT provider on the whole local stack with the simulator (issue 9). Writes
// bench/results/<date>-<config>.json and .md, one SVG chart per run, and bench/results/latest.md.
// Flags and examples: USAGE below (`npm run bench -- --help`).
// The benchmark is never part of `npm test`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { parseCli } from '../src/util/cli.ts';
import { repoRoot } from '../stack/binaries.ts';
import { PLUGIN_COMMAND, PLUGIN_NODE_FLAGS, SHIPPED_PLUGIN_COMMAND } from '../stack/plugin-command.ts';
import { type BridgeResult, measureBridge } from './lib/bridge.ts';
import { type ErrorResult, runErrorScenario } from './lib/error-scenario.ts';
import { benchLists, type ListsResult } from './lib/lists.ts';
import { GARDENER_MC_ARGS, GARDENER_MCM_ARGS, type RunResult, runOnStack } from './lib/provisioning.ts';
import { type BenchResult, evaluateTargets, markdown } from './lib/report.ts';
import { load, round } from './lib/stats.ts';
import { runningChart } from './lib/svg.ts';

const ALL_RUNS = ['provisioning', 'economy', 'footprint', 'error', 'lists', 'throttling', 'bridge'] as const;

const USAGE = `Usage: npm run bench -- [flags]

Benchmarks on the whole local stack with the simulator (issue 9); writes bench/results/<date>-<config>.json
and .md, one SVG chart per run, and bench/results/latest.md. Method: bench/README.md.

  npm run bench                          # N = 50 and 200, boot delay 30 s (about 20 minutes)
  npm run bench -- --quick               # smoke: N = 10, boot 5 s, small lists
  npm run bench -- --n 1000 --runs provisioning,footprint
  npm run bench -- --runs error --error-n 10 --error-share 0.2

  --runs provisioning,economy,footprint,error,lists,throttling,bridge (default: all)
  --n 50,200  --boot-delay 30000  --join-delay 5000  --delete-delay 5000
  --steady-window 120000  --throttle-n 200  --throttle-rate 0.3
  --error-n 10  --error-share 0.2
  --list-servers 5000  --list-in-class 200  --plugin src|dist  --config NAME  --out bench/results
  --plugin-command="<node> [flags] <main>"
  --mc-args="--kube-api-qps=100 ..."  --mcm-args="..." (appended to the Gardener flags; use =)
  --quick
  -h, --help   this text
`;

const cli = parseCli({
  name: 'bench',
  command: 'npm run bench --',
  usage: USAGE,
  options: {
    runs: { type: 'string' },
    n: { type: 'string' },
    'boot-delay': { type: 'string' },
    'join-delay': { type: 'string' },
    'delete-delay': { type: 'string' },
    'steady-window': { type: 'string' },
    'throttle-n': { type: 'string' },
    'throttle-rate': { type: 'string' },
    'error-n': { type: 'string' },
    'error-share': { type: 'string' },
    'list-servers': { type: 'string' },
    'list-in-class': { type: 'string' },
    config: { type: 'string' },
    plugin: { type: 'string', default: 'shipped' },
    'plugin-command': { type: 'string' },
    'mc-args': { type: 'string', default: '' },
    'mcm-args': { type: 'string', default: '' },
    out: { type: 'string', default: join(repoRoot, 'bench/results') },
    quick: { type: 'boolean', default: false },
  },
});
const { values } = cli;

const quick = values.quick;
const num = (v: string | undefined, dflt: number) => (v === undefined ? dflt : Number(v));
const runs = new Set((values.runs ?? ALL_RUNS.join(',')).split(',').map((s) => s.trim()));
for (const r of runs) {
  if (!(ALL_RUNS as readonly string[]).includes(r))
    cli.fail(`unknown run ${r}; known: ${ALL_RUNS.join(', ')}`);
}
const ns = (values.n ?? (quick ? '10' : '50,200')).split(',').map(Number);
const bootDelayMs = num(values['boot-delay'], quick ? 5_000 : 30_000);
const joinDelayMs = num(values['join-delay'], quick ? 1_000 : 5_000);
const deleteDelayMs = num(values['delete-delay'], quick ? 1_000 : 5_000);
const steadyWindowMs = num(values['steady-window'], quick ? 20_000 : 120_000);
const throttleRate = num(values['throttle-rate'], 0.3);
const throttleN = num(values['throttle-n'], Math.min(200, Math.max(...ns)));
const errorN = num(values['error-n'], 10);
const errorShare = num(values['error-share'], 0.2);
if (!(errorShare > 0 && errorShare <= 1)) cli.fail('--error-share is in (0, 1]');
const listServers = num(values['list-servers'], quick ? 1_000 : 5_000);
const listInClass = num(values['list-in-class'], quick ? 50 : 200);
// shipped (default): the plugin compiled to a private directory (dist/ is left alone) and run with
// the V8 flags of the machine-controller's default command, as the image runs it; src: node
// src/plugin/main.ts (type stripping, as the tests run it); dist: the existing dist/ (`npm run build`).
// --plugin-command: a whole plugin command line (split on whitespace).
if (!['shipped', 'src', 'dist'].includes(values.plugin)) cli.fail('--plugin is shipped, src or dist');
const pluginCommand = values['plugin-command'] ?? pluginCommandFor(values.plugin);
const extraMcArgs = values['mc-args'].split(/\s+/).filter(Boolean);
const extraMcmArgs = values['mcm-args'].split(/\s+/).filter(Boolean);
const extra = {
  ...(pluginCommand ? { pluginCommand } : {}),
  ...(extraMcArgs.length > 0 ? { extraMcArgs } : {}),
  ...(extraMcmArgs.length > 0 ? { extraMcmArgs } : {}),
};
const config =
  values.config ??
  (quick
    ? 'quick'
    : values.n === undefined && values['boot-delay'] === undefined && values.runs === undefined
      ? 'default'
      : `n${ns.join('-')}-boot${bootDelayMs / 1000}s`) + (values.plugin === 'dist' ? '-dist' : '');

const startedAt = new Date();
const stamp = startedAt.toISOString().slice(0, 16).replace(':', '');
const base = `${stamp}-${config}`;
const outDir = values.out;
mkdirSync(outDir, { recursive: true });
const logDir = join(tmpdir(), `mcm-stackit-bench-${base}`);
const say = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;

say(
  `${command}: config ${config}, runs ${[...runs].join(',')}, load ${load().load1}; process logs in ${logDir}`,
);

const stackRuns = runs.has('provisioning') || runs.has('economy') || runs.has('footprint');
const timeoutFor = (n: number) => Math.max(10 * 60_000, (bootDelayMs + joinDelayMs) * 10 + n * 1_000);
const results: RunResult[] = [];
let throttling: RunResult | undefined;
let errorRun: ErrorResult | undefined;
let lists: ListsResult | undefined;
let bridge: BridgeResult | undefined;

/** Writes the JSON, the summary, the charts and latest.md; called after every part, so an interrupted run keeps what it measured. */
function writeResults(final: boolean): void {
  // Charts: one per run.
  const charts: Record<string, string> = {};
  for (const r of [...results, ...(throttling ? [throttling] : [])]) {
    const file = `${base}-${r.label}.svg`;
    writeFileSync(
      join(outDir, file),
      runningChart({
        title: `Machines Running, N = ${r.n}, boot ${r.bootDelayMs / 1000} s + join ${r.joinDelayMs / 1000} s${r.faults ? `, ${throttleRate * 100}% 429` : ''}`,
        series: [
          { label: 'Machines created', points: r.machinesCreatedTimeline, color: '#aaaaaa' },
          { label: 'Machines Running', points: r.runningTimeline },
        ],
        idealSeconds: r.idealSeconds,
      }),
    );
    charts[r.label] = file;
  }
  if (errorRun && !errorRun.error) {
    const file = `${base}-${errorRun.label}.svg`;
    writeFileSync(
      join(outDir, file),
      runningChart({
        title: `Machines Running, N = ${errorRun.n}, ${errorRun.errorServers.length} first servers end in ERROR, boot ${errorRun.bootDelayMs / 1000} s + join ${errorRun.joinDelayMs / 1000} s`,
        series: [
          { label: 'Machines created', points: errorRun.machinesCreatedTimeline, color: '#aaaaaa' },
          { label: 'Machines Running', points: errorRun.runningTimeline },
        ],
        // ideal: the first ERROR + a replacement's boot and join
        idealSeconds: (errorRun.firstErrorSeconds ?? 0) + errorRun.idealRecoverySeconds,
      }),
    );
    charts[errorRun.label] = file;
  }

  let gitCommit = 'unknown';
  try {
    gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot }).toString().trim();
  } catch {
    // not a git checkout
  }
  const partial: Omit<BenchResult, 'targets'> = {
    command,
    config,
    complete: final,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    gitCommit,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      memGiB: round(totalmem() / 2 ** 30, 1),
      node: process.version,
    },
    options: {
      runs: [...runs],
      ns,
      bootDelayMs,
      joinDelayMs,
      deleteDelayMs,
      steadyWindowMs,
      throttleN,
      throttleRate,
      errorN,
      errorShare,
      listServers,
      listInClass,
      plugin: values.plugin,
      pluginCommand,
      mcArgs: [...GARDENER_MC_ARGS, ...extraMcArgs].join(' '),
      mcmArgs: [...GARDENER_MCM_ARGS, ...extraMcmArgs].join(' '),
    },
    runs: results,
    ...(throttling ? { throttling } : {}),
    ...(errorRun ? { errorRun } : {}),
    ...(lists ? { lists } : {}),
    ...(bridge ? { bridge } : {}),
    charts,
  };
  const full: BenchResult = { ...partial, targets: evaluateTargets(partial) };
  const jsonFile = `${base}.json`;
  writeFileSync(join(outDir, jsonFile), `${JSON.stringify(full, null, 2)}\n`);
  const md = markdown(full, { json: jsonFile, charts });
  writeFileSync(join(outDir, `${base}.md`), md);
  copyFileSync(join(outDir, `${base}.md`), join(outDir, 'latest.md'));
  say(
    `wrote ${relative(repoRoot, join(outDir, `${base}.md`))} (and .json, ${Object.keys(charts).length} charts, latest.md)`,
  );
  if (final) for (const t of full.targets) say(`target ${t.status.toUpperCase()}: ${t.target}: ${t.value}`);
}

if (runs.has('bridge')) {
  say('bridge latency: go test (BRIDGE_MEASURE=1)');
  bridge = await measureBridge(pluginCommand);
  say(bridge.error ? `bridge: ${bridge.error}` : `bridge: p50 ${bridge.p50Ms} ms, p99 ${bridge.p99Ms} ms`);
  writeResults(false);
}
if (runs.has('lists')) {
  say(`lists: seeding ${listServers} servers (${listInClass} in the class)`);
  lists = await benchLists({ servers: listServers, inClass: listInClass });
  say(
    `lists: ListMachines p50 ${round(lists.listMachines.warm.p50, 1)} ms, ${lists.listMachines.entries} entries`,
  );
}
if (stackRuns) {
  for (const n of ns) {
    results.push(
      await runOnStack({
        label: `n${n}`,
        n,
        bootDelayMs,
        joinDelayMs,
        deleteDelayMs,
        steadyWindowMs: runs.has('economy') || runs.has('footprint') ? steadyWindowMs : 0,
        ...extra,
        logDir,
        timeoutMs: timeoutFor(n),
        log: say,
      }),
    );
    writeResults(false);
  }
}
if (runs.has('error')) {
  errorRun = await runErrorScenario({
    label: `error-n${errorN}`,
    n: errorN,
    share: errorShare,
    bootDelayMs,
    joinDelayMs,
    deleteDelayMs,
    ...extra,
    logDir,
    timeoutMs: timeoutFor(errorN),
    log: say,
  });
  writeResults(false);
}
if (runs.has('throttling')) {
  throttling = await runOnStack({
    label: `n${throttleN}-throttled`,
    n: throttleN,
    bootDelayMs,
    joinDelayMs,
    deleteDelayMs,
    steadyWindowMs: 0,
    faults: { operations: { '*': { rateLimitRate: throttleRate, retryAfterSeconds: 1 } } },
    ...extra,
    logDir,
    timeoutMs: timeoutFor(throttleN),
    log: say,
  });
}

writeResults(true);
process.exit(0);

function pluginCommandFor(kind: string): string {
  if (kind === 'src') return PLUGIN_COMMAND;
  if (kind === 'dist') return SHIPPED_PLUGIN_COMMAND;
  const outDir = join(repoRoot, 'node_modules/.cache/bench-plugin-dist');
  execFileSync(
    join(repoRoot, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', outDir, '--sourceMap', 'false'],
    { cwd: repoRoot, stdio: 'inherit' },
  );
  const node = join(repoRoot, 'node_modules/.bin/node');
  return [node, ...PLUGIN_NODE_FLAGS, join(outDir, 'src/plugin/main.js')].join(' ');
}
