// Runs Gardener MCM's own provider integration suite (github.com/gardener/machine-controller-manager
// v0.62.1, pkg/test/integration/common, unchanged) against the local stack, once per node join
// delay (default 20 s, then 3 s), and reports pass/fail per spec with timings.
//
// Per join delay: the STACKIT simulator, etcd + kube-apiserver (control = target cluster) and the
// node simulator from stack/; a Secret and the MachineClass YAML the framework applies
// (MACHINECLASS_V1); the directory layout the framework expects around its working directory
// (`../../..` with the provider's Makefile and .ci/controllers-test, `../../../dev/mcm` with MCM's
// Makefile, .git and kubernetes/crds); then the compiled Go test package runs in its own PID
// namespace (unshare), together with everything it starts: the framework starts the
// machine-controller and machine-controller-manager with `make start` and kills them by command
// line (`ps -e`), so inside the namespace it can see and kill only its own processes.
//
//   node test/mcm-integration/run.ts [--join-delays 20s,3s] [--timeout 300] [--poll 2]
//        [--focus REGEX] [--log-dir DIR] [--boot-delay MS] [--suite-timeout 2h]
//
// Needs `make machine-controller` and the kube binaries (`make test-mcm-integration` does both).
// Logs and reports stay in --log-dir (default: a fresh directory under $TMPDIR), printed at the end.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import YAML from 'yaml';
import { startSimulator } from '../../src/simulator/index.ts';
import { parseCli } from '../../src/util/cli.ts';
import { repoRoot, resolveBinDir } from '../../stack/binaries.ts';
import { startControlPlane } from '../../stack/control-plane.ts';
import { createNamespace } from '../../stack/mcm-objects.ts';
import { startNodeSimulator } from '../../stack/node-simulator.ts';
import { freePort, startProcess } from '../../stack/processes.ts';
import { MACHINE_CONTROLLER_BIN, PLUGIN_COMMAND } from '../../stack/stack.ts';

const WIRING_DIR = join(repoRoot, 'test/mcm-integration');
const NAMESPACE = 'shoot--stackit--mcm-it';

const USAGE = `Usage: npm run test:mcm-integration -- [flags]        (make test-mcm-integration)

Runs Gardener MCM's own provider integration suite (v0.62.1) against the local stack, once per
node join delay, and reports pass/fail per spec with timings. Needs \`make machine-controller\` and
the kube binaries. Logs and reports stay in --log-dir (default: a fresh directory under $TMPDIR).

  --join-delays <list>   node join delays, e.g. 20s,3s (env MCM_IT_JOIN_DELAYS, default 20s,3s)
  --timeout <s>          the framework's Eventually timeout (env MCM_IT_TIMEOUT_SECONDS, default 300)
  --poll <s>             the framework's poll interval (env MCM_IT_POLL_SECONDS, default 2)
  --focus <regex>        run only matching specs (env MCM_IT_FOCUS)
  --log-dir <dir>        keep logs and reports here (env MCM_IT_LOG_DIR)
  --boot-delay <ms>      simulated server boot time (default 2000)
  --suite-timeout <d>    ginkgo suite timeout (default 3h)
  -h, --help             this text
`;

const { values } = parseCli({
  name: 'mcm-integration',
  command: 'npm run test:mcm-integration --',
  usage: USAGE,
  options: {
    'join-delays': { type: 'string', default: process.env.MCM_IT_JOIN_DELAYS ?? '20s,3s' },
    timeout: { type: 'string', default: process.env.MCM_IT_TIMEOUT_SECONDS ?? '300' },
    poll: { type: 'string', default: process.env.MCM_IT_POLL_SECONDS ?? '2' },
    focus: { type: 'string', default: process.env.MCM_IT_FOCUS ?? '' },
    'log-dir': { type: 'string', default: process.env.MCM_IT_LOG_DIR ?? '' },
    'boot-delay': { type: 'string', default: '2000' },
    'suite-timeout': { type: 'string', default: '3h' },
  },
});

const say = (msg: string) => console.log(`[mcm-it] ${msg}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text} (e.g. 20s, 3000ms, 1m)`);
  const n = Number(m[1]);
  return m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n;
}

const joinDelays = values['join-delays'].split(',').map(parseDuration);
const baseDir = values['log-dir'] || mkdtempSync(join(tmpdir(), 'mcm-stackit-mcm-it-'));
mkdirSync(baseDir, { recursive: true });

// ---------------------------------------------------------------------------------------------
// Preconditions: our machine-controller, Gardener's MCM binary, unshare, the compiled test package.

if (!existsSync(MACHINE_CONTROLLER_BIN)) {
  throw new Error(`${MACHINE_CONTROLLER_BIN} is missing: run \`make machine-controller\``);
}
const binDir = await resolveBinDir();
const MCM_BIN = join(binDir, 'machine-controller-manager');

// As root a PID + mount namespace is enough; otherwise a user namespace maps us to root in it.
const UNSHARE = [
  ...(process.getuid?.() === 0 ? [] : ['--user', '--map-root-user']),
  '--pid',
  '--fork',
  '--mount-proc',
  '--kill-child',
];
const probe = spawnSync('unshare', [...UNSHARE, 'ps', '-e', '-o', 'pid='], { encoding: 'utf8' });
if (probe.status !== 0 || probe.stdout.trim() !== '1') {
  throw new Error(
    `unshare ${UNSHARE.join(' ')} does not give an isolated PID namespace here (exit ${probe.status}): ${probe.stderr || probe.stdout}`,
  );
}

say(`compiling the test package (go test -c) into ${baseDir}`);
const testBinary = join(baseDir, 'controller.test');
const compiled = Date.now();
const build = spawnSync('go', ['test', '-c', '-o', testBinary, './test/integration/controller'], {
  cwd: WIRING_DIR,
  env: { ...process.env, GOTOOLCHAIN: 'local' },
  stdio: 'inherit',
});
if (build.status !== 0) throw new Error(`go test -c failed (exit ${build.status})`);
say(`compiled in ${seconds(Date.now() - compiled)}`);

// ---------------------------------------------------------------------------------------------

interface SpecResult {
  name: string;
  state: string;
  runTimeMs: number;
  failure?: string;
  location?: string;
}

interface RunResult {
  joinDelayMs: number;
  exitCode: number | null;
  stackStartMs: number;
  suiteMs: number;
  teardownMs: number;
  specs: SpecResult[];
  dir: string;
  nodeSimulatorErrors: string[];
}

const quiet = pino({ level: 'silent' });

async function runOnce(joinDelayMs: number): Promise<RunResult> {
  const dir = join(baseDir, `join-${joinDelayMs}ms`);
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const stops: (() => Promise<unknown>)[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };

  const t0 = Date.now();
  try {
    say(`[join ${seconds(joinDelayMs)}] starting the simulator, etcd + kube-apiserver, node simulator`);
    const sim = await startSimulator({
      bootDelayMs: Number(values['boot-delay']),
      deleteDelayMs: 1_000,
      randomSeed: 7,
      logger: quiet,
      port: 0,
    });
    stops.push(() => sim.close());
    const key = await sim.createServiceAccountKey({ name: 'machine-controller' });
    const cp = await startControlPlane({ logDir, name: 'mcm-it' });
    stops.push(() => cp.stop());
    await createNamespace(cp.kubeConfig, NAMESPACE);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const d = sim.defaults;

    // The Secret and providerSpec of stack/stack.ts (startStack's createClass/providerSpec).
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'stackit-credentials', namespace: NAMESPACE },
        stringData: {
          projectId: d.projectId,
          serviceAccountKey: JSON.stringify(key),
          region: d.region,
          userData: '#cloud-config\n# bootstrap <<BOOTSTRAP_TOKEN>> for <<MACHINE_NAME>>\n',
        },
      },
    });
    const machineClassFile = join(dir, 'machine-class-v1.yaml');
    writeFileSync(
      machineClassFile,
      YAML.stringify({
        apiVersion: 'machine.sapcloud.io/v1alpha1',
        kind: 'MachineClass',
        // The framework insists on this name and derives test-mc-v2 from it.
        metadata: { name: 'test-mc-v1', namespace: NAMESPACE },
        provider: 'stackit',
        providerSpec: {
          region: d.region,
          availabilityZone: d.availabilityZone,
          machineType: d.machineType,
          imageId: d.imageId,
          networking: { networkId: d.networkId },
          labels: { 'kubernetes.io/cluster': NAMESPACE },
          allowedAddresses: ['100.64.0.0/12'],
        },
        secretRef: { name: 'stackit-credentials', namespace: NAMESPACE },
        credentialsSecretRef: { name: 'stackit-credentials', namespace: NAMESPACE },
      }),
    );

    const nodes = startNodeSimulator({
      simulatorUrl: sim.url,
      targetKubeConfig: cp.kubeConfig,
      joinDelayMs,
      pollIntervalMs: 500,
    });
    stops.push(() => nodes.stop());

    const root = layOutRunDirectory(join(dir, 'run'));
    const stackStartMs = Date.now() - t0;
    say(`[join ${seconds(joinDelayMs)}] stack up in ${seconds(stackStartMs)}; running the suite`);

    const [mcPort, mcmPort] = [await freePort(), await freePort()];
    const reportFile = join(dir, 'ginkgo-report.json');
    const testArgs = [
      '-test.v',
      '-ginkgo.v',
      '-ginkgo.show-node-events',
      '-ginkgo.no-color',
      `-ginkgo.timeout=${values['suite-timeout']}`,
      '-ginkgo.poll-progress-after=300s',
      '-ginkgo.poll-progress-interval=60s',
      `-ginkgo.json-report=${reportFile}`,
      `-ginkgo.junit-report=${join(dir, 'junit.xml')}`,
      ...(values.focus ? [`-ginkgo.focus=${values.focus}`] : []),
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      // the framework (framework.go)
      CONTROL_KUBECONFIG: cp.kubeconfigPath,
      TARGET_KUBECONFIG: cp.kubeconfigPath,
      CONTROL_CLUSTER_NAMESPACE: NAMESPACE,
      TARGET_CLUSTER_NAME: NAMESPACE,
      MACHINECLASS_V1: machineClassFile,
      IS_CONTROL_CLUSTER_SEED: 'false',
      MCM_IT_TIMEOUT_SECONDS: values.timeout,
      MCM_IT_POLL_SECONDS: values.poll,
      // test/mcm-integration/Makefile: our machine-controller and its TypeScript plugin
      MC_BIN: MACHINE_CONTROLLER_BIN,
      MC_PORT: String(mcPort),
      MC_DRIVER: 'stackit',
      MC_DRIVER_PLUGIN_CMD: PLUGIN_COMMAND,
      STACKIT_IAAS_ENDPOINT: sim.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      // test/mcm-integration/mcm/Makefile: Gardener's machine-controller-manager
      MCM_BIN,
      MCM_PORT: String(mcmPort),
    };
    // bash as the namespace's PID 1 reaps what gets orphaned there (a plugin whose
    // machine-controller was killed); when unshare dies, --kill-child takes the namespace down.
    const suiteStart = Date.now();
    const suite = startProcess({
      name: 'mcm-integration-suite',
      command: 'unshare',
      args: [...UNSHARE, '--', 'bash', '-c', '"$@"; exit $?', 'bash', testBinary, ...testArgs],
      cwd: join(root, 'test/integration/controller'),
      env,
      logDir,
    });
    stops.push(() => suite.stop(5_000));
    const stopFollowing = follow(suite.logPath, `[join ${seconds(joinDelayMs)}] `);
    const status = await suite.exited;
    stopFollowing();
    const suiteMs = Date.now() - suiteStart;
    say(
      `[join ${seconds(joinDelayMs)}] suite exited (code ${status.code}${status.signal ? `, ${status.signal}` : ''}) after ${seconds(suiteMs)}`,
    );

    const nodeSimulatorErrors = [...nodes.errors];
    const t1 = Date.now();
    await teardown();
    const teardownMs = Date.now() - t1;
    const controllerLogs = join(root, '.ci/controllers-test/logs');
    for (const f of readdirSync(controllerLogs)) copyFileSync(join(controllerLogs, f), join(logDir, f));
    return {
      joinDelayMs,
      exitCode: status.code,
      stackStartMs,
      suiteMs,
      teardownMs,
      specs: readSpecs(reportFile),
      dir,
      nodeSimulatorErrors,
    };
  } catch (err) {
    await teardown();
    throw err;
  }
}

/**
 * The tree around the test's working directory (root/test/integration/controller):
 *   root/Makefile                              -> test/mcm-integration/Makefile (machine-controller)
 *   root/.ci/controllers-test/machine-class-patch.json, logs/
 *   root/dev/mcm/Makefile                      -> test/mcm-integration/mcm/Makefile (Gardener MCM)
 *   root/dev/mcm/.git/                         the framework checks that the "MCM repo" is a git checkout
 *   root/dev/mcm/kubernetes/crds/*.yaml        applied before, deleted after the suite (api/mcm-crds)
 */
function layOutRunDirectory(root: string): string {
  mkdirSync(join(root, 'test/integration/controller'), { recursive: true });
  mkdirSync(join(root, '.ci/controllers-test/logs'), { recursive: true });
  mkdirSync(join(root, 'dev/mcm/.git'), { recursive: true });
  mkdirSync(join(root, 'dev/mcm/kubernetes/crds'), { recursive: true });
  symlinkSync(join(WIRING_DIR, 'Makefile'), join(root, 'Makefile'));
  symlinkSync(join(WIRING_DIR, 'mcm/Makefile'), join(root, 'dev/mcm/Makefile'));
  copyFileSync(
    join(WIRING_DIR, '.ci/controllers-test/machine-class-patch.json'),
    join(root, '.ci/controllers-test/machine-class-patch.json'),
  );
  // Regular files, not links: the framework walks this directory and skips anything not regular.
  const crds = join(repoRoot, 'api/mcm-crds');
  for (const f of readdirSync(crds).filter((n) => /^machine\.sapcloud\.io_.*\.yaml$/.test(n))) {
    copyFileSync(join(crds, f), join(root, 'dev/mcm/kubernetes/crds', f));
  }
  return root;
}

/** Echoes a growing log file to stdout, prefixed, until the returned function is called. */
function follow(path: string, prefix: string): () => void {
  let offset = 0;
  let partial = '';
  const pump = () => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return;
    }
    try {
      const size = statSync(path).size;
      if (size <= offset) return;
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const lines = (partial + buf.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) process.stdout.write(`${prefix}${line}\n`);
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(pump, 1_000);
  return () => {
    clearInterval(timer);
    pump();
    if (partial) process.stdout.write(`${prefix}${partial}\n`);
  };
}

interface GinkgoSpecReport {
  ContainerHierarchyTexts?: string[] | null;
  LeafNodeText?: string;
  LeafNodeType?: string;
  State?: string;
  RunTime?: number;
  Failure?: {
    Message?: string;
    Location?: { FileName?: string; LineNumber?: number };
    FailureNodeType?: string;
    FailureNodeLocation?: { FileName?: string; LineNumber?: number };
  };
}

function readSpecs(reportFile: string): SpecResult[] {
  if (!existsSync(reportFile)) return [];
  const suites = JSON.parse(readFileSync(reportFile, 'utf8')) as { SpecReports?: GinkgoSpecReport[] }[];
  const out: SpecResult[] = [];
  for (const suite of suites) {
    for (const s of suite.SpecReports ?? []) {
      const name = [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText ?? '']
        .filter((t) => t !== '')
        .join(' / ');
      const result: SpecResult = {
        name: name || `[${s.LeafNodeType}]`,
        state: s.State ?? 'unknown',
        runTimeMs: Math.round((s.RunTime ?? 0) / 1e6),
      };
      if (s.Failure?.Message) {
        const where = s.Failure.Location;
        result.failure = `${s.Failure.FailureNodeType ? `[${s.Failure.FailureNodeType}] ` : ''}${s.Failure.Message.trim()}`;
        if (where?.FileName)
          result.location = `${where.FileName.replace(/^.*\/pkg\//, 'pkg/')}:${where.LineNumber}`;
      }
      out.push(result);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const results: RunResult[] = [];
const started = Date.now();
for (const joinDelayMs of joinDelays) {
  const t = Date.now();
  const r = await runOnce(joinDelayMs);
  results.push(r);
  say(`[join ${seconds(joinDelayMs)}] done in ${seconds(Date.now() - t)}`);
}

const lines: string[] = [
  `# MCM provider integration suite (MCM v0.62.1) on the local stack`,
  '',
  `Logs: ${baseDir}. Eventually timeout ${values.timeout} s, polling ${values.poll} s, boot delay ${values['boot-delay']} ms.`,
  '',
];
for (const r of results) {
  const passed = r.specs.filter((s) => s.state === 'passed').length;
  const failed = r.specs.filter((s) => s.state !== 'passed' && s.state !== 'skipped').length;
  lines.push(
    `## Join delay ${seconds(r.joinDelayMs)}: ${failed === 0 && r.exitCode === 0 ? 'PASS' : 'FAIL'} (${passed} passed, ${failed} not passed; exit ${r.exitCode})`,
    '',
    `stack start ${seconds(r.stackStartMs)}, suite ${seconds(r.suiteMs)}, teardown ${seconds(r.teardownMs)}; logs ${r.dir}`,
    '',
    '| spec | result | time |',
    '| --- | --- | --- |',
    ...r.specs.map((s) => `| ${s.name} | ${s.state} | ${seconds(s.runTimeMs)} |`),
    '',
  );
  for (const s of r.specs.filter((x) => x.failure)) {
    lines.push(`- **${s.name}** (${s.location ?? '?'}): ${s.failure?.split('\n').slice(0, 6).join(' ')}`);
  }
  if (r.nodeSimulatorErrors.length > 0) {
    lines.push('', 'Node simulator errors:', ...r.nodeSimulatorErrors.map((e) => `- ${e}`));
  }
  lines.push('');
}
lines.push(`Total ${seconds(Date.now() - started)}.`);
const summary = lines.join('\n');
writeFileSync(join(baseDir, 'summary.md'), `${summary}\n`);
writeFileSync(join(baseDir, 'summary.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${summary}`);
process.exit(results.every((r) => r.exitCode === 0) ? 0 : 1);
