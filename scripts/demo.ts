// `make demo`: the whole local stack on the simulator. Starts everything, applies a Secret, a
// MachineClass and a MachineDeployment, prints at once what a user needs to work with it (URLs, IDs,
// kubeconfig, a ready Secret + MachineClass file), then one line per phase change of every Machine in
// the namespace until Ctrl-C, which stops every process it started.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSeedFile, parseFaultProfile, type SeedData } from '../src/simulator/index.ts';
import { parseCli } from '../src/util/cli.ts';
import { machineDeployment } from '../stack/mcm-objects.ts';
import { startStack } from '../stack/stack.ts';
import { demoClass, SECRET_NAME, writeDemoClassFile } from './demo/class-file.ts';
import { MachineLines } from './demo/machine-lines.ts';

const USAGE = `Usage: npm run demo -- [options]        (make demo runs it with the defaults)

The whole local stack on the STACKIT simulator: etcd + kube-apiserver, Gardener's
machine-controller-manager, our machine-controller and driver, a node simulator. Applies a Secret,
a MachineClass and a MachineDeployment, prints the URLs, IDs and a ready Secret + MachineClass file,
then every phase change of every Machine in the namespace until Ctrl-C.

  --replicas <n>       MachineDeployment replicas (env DEMO_REPLICAS, default 3; 0 = only watch)
  --boot-delay <ms>    simulated server boot time (env DEMO_BOOT_DELAY_MS, default 20000)
  --join-delay <ms>    Node Ready this long after its server is ACTIVE (env DEMO_JOIN_DELAY_MS, default 1500)
  --faults <json|file> simulator fault profile (env DEMO_FAULTS; see docs/simulator.md)
  --seed <file>        simulator seed data: projects, networks, images, machine types, keypairs,
                       security groups, availability zones (env DEMO_SEED; see docs/simulator.md)
  --exit               stop once all replicas are Running (env DEMO_EXIT=true)
  -h, --help           this text
`;

const cli = parseCli({
  name: 'demo',
  command: 'npm run demo --',
  usage: USAGE,
  options: {
    replicas: { type: 'string', default: process.env.DEMO_REPLICAS ?? '3' },
    // As long as a real boot: a booting Machine shows phase "" (creating), never a failure.
    'boot-delay': { type: 'string', default: process.env.DEMO_BOOT_DELAY_MS ?? '20000' },
    'join-delay': { type: 'string', default: process.env.DEMO_JOIN_DELAY_MS ?? '1500' },
    faults: { type: 'string', default: process.env.DEMO_FAULTS ?? '' },
    seed: { type: 'string', default: process.env.DEMO_SEED ?? '' },
    exit: { type: 'boolean', default: process.env.DEMO_EXIT === 'true' },
  },
});
const { values } = cli;
const replicas = cli.integer('replicas', values.replicas)!;
const bootDelayMs = cli.integer('boot-delay', values['boot-delay'])!;
const joinDelayMs = cli.integer('join-delay', values['join-delay'])!;
const say = (msg: string) => console.log(`[demo] ${msg}`);
const inputError = (msg: string): never => {
  console.error(`demo: ${msg}`);
  process.exit(2);
};

// Inputs are checked before anything starts.
let faults: ReturnType<typeof parseFaultProfile> | undefined;
if (values.faults) {
  const text = existsSync(values.faults) ? readFileSync(values.faults, 'utf8') : values.faults;
  try {
    faults = parseFaultProfile(JSON.parse(text));
  } catch (e) {
    inputError(`--faults: ${(e as Error).message}`);
  }
}
let seed: SeedData | undefined;
if (values.seed) {
  try {
    seed = loadSeedFile(values.seed);
  } catch (e) {
    inputError(`--seed: ${(e as Error).message}`);
  }
}

const workDir = mkdtempSync(join(process.env.TMPDIR ?? tmpdir(), 'mcm-stackit-demo-'));
const classFile = join(workDir, 'demo-class.yaml');
say(
  'starting: STACKIT simulator, etcd + kube-apiserver, machine-controller-manager, machine-controller, node simulator',
);
say(
  '(the first run builds kube-apiserver, etcd and machine-controller-manager from source: several minutes)',
);
const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1);
const stack = await startStack({
  namespace: 'shoot--local--demo',
  bootDelayMs,
  joinDelayMs,
  ...(faults ? { faults } : {}),
  ...(seed ? { simulatorSeed: seed } : {}),
  logDir: join(workDir, 'logs'),
});
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('stopping every process the demo started ...');
  await stack.stop();
  // The key in it only worked for this simulator; no reason to leave it on disk.
  rmSync(classFile, { force: true });
  say(
    'stopped: simulator, node simulator, machine-controller, machine-controller-manager, kube-apiserver, etcd',
  );
  say(`logs kept in ${stack.logDir}`);
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

say(`stack up in ${elapsed()} s`);
const { namespace } = stack;
const objects = demoClass(stack, 'demo-class');
writeDemoClassFile(classFile, objects, stack.cp.kubeconfigPath);
await stack.core.createNamespacedSecret({ namespace, body: objects.secret });
await stack.objects.create('machineclasses', objects.machineClass);
await stack.objects.create(
  'machinedeployments',
  machineDeployment('demo-workers', namespace, 'demo-class', replicas),
);
say(
  `applied Secret ${SECRET_NAME}, MachineClass demo-class, MachineDeployment demo-workers (replicas ${replicas})`,
);

const d = stack.sim.defaults;
const image = stack.sim.seed.images.find((i) => i.id === d.imageId);
const kubectl = `kubectl --kubeconfig ${stack.cp.kubeconfigPath} -n ${namespace}`;
for (const [what, value] of [
  ['simulator', `${stack.sim.url}   (IaaS API under /v2, admin API under /admin)`],
  ['token URL', stack.sim.tokenUrl],
  ['project', `${d.projectId}   (region ${d.region})`],
  ['network', d.networkId || '- (none in the seed)'],
  ['image', `${d.imageId}${image?.name ? `   (${image.name})` : ''}`],
  ['machine type', d.machineType],
  [
    'security group',
    d.securityGroupId ? `${d.securityGroupId}   (${d.securityGroupName})` : '- (none in the seed)',
  ],
  ['keypair', d.keypairName || '- (none in the seed)'],
  ['availability zone', d.availabilityZone],
  ['kubeconfig', stack.cp.kubeconfigPath],
  ['namespace', namespace],
  ['Secret + MachineClass', `${classFile}   (mode 0600: holds the service-account key)`],
] as const) {
  say(`${`${what}:`.padEnd(23)}${value}`);
}
say('try:');
say(`  ${kubectl} get machines -o wide`);
say(`  ${kubectl} get machinedeployments,machinesets,machines,machineclasses`);
say(`  ${kubectl} scale machinedeployment demo-workers --replicas 5`);
say(`  kubectl --kubeconfig ${stack.cp.kubeconfigPath} get nodes`);
say(`  curl ${stack.sim.url}/admin/servers    # the simulator's servers; counters: /admin/counters`);
say(`  curl http://127.0.0.1:${stack.machineControllerPort}/metrics    # machine-controller metrics`);
say(`  logs: ${stack.logDir}`);
say(`every Machine in ${namespace}, whoever creates it, is shown below when it changes; Ctrl-C stops`);

if (replicas === 0) {
  say('replicas 0: nothing to wait for');
  if (values.exit) await stop(0);
}
const lines = new MachineLines();
let announced = replicas === 0;
for (;;) {
  try {
    const machines = await stack.objects.list('machines');
    for (const line of lines.update(machines, stack.sim.servers())) say(`${elapsed()}s: ${line}`);
    const own = machines.filter((m) => m.metadata.labels?.['machine-deployment'] === 'demo-workers');
    const running = own.filter((m) => m.status?.currentStatus?.phase === 'Running').length;
    if (!announced && own.length === replicas && running === replicas) {
      announced = true;
      say(`all ${replicas} machines Running after ${elapsed()} s`);
      if (values.exit) await stop(0);
    }
  } catch (e) {
    if (stopping) break;
    say(`listing Machines failed (retrying): ${(e as Error).message}`);
  }
  await new Promise((r) => setTimeout(r, 1000));
}
