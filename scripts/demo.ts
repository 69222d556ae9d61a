// `make demo`: the whole local stack on the simulator. Starts everything, applies a Secret, a
// MachineClass and a MachineDeployment, shows each Machine's phase and IP until all are Running,
// then keeps running until Ctrl-C and stops every process it started.
//
// Flags (or env): --replicas N (DEMO_REPLICAS, 3), --boot-delay MS (DEMO_BOOT_DELAY_MS, 20000),
// --join-delay MS (DEMO_JOIN_DELAY_MS, 1500), --faults JSON|FILE (DEMO_FAULTS), --exit (stop once Running).

import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseFaultProfile } from '../src/simulator/index.ts';
import { machineDeployment } from '../stack/mcm-objects.ts';
import { startStack } from '../stack/stack.ts';

const { values } = parseArgs({
  options: {
    replicas: { type: 'string', default: process.env.DEMO_REPLICAS ?? '3' },
    // As long as a real boot: a booting Machine shows phase "" (creating), never a failure.
    'boot-delay': { type: 'string', default: process.env.DEMO_BOOT_DELAY_MS ?? '20000' },
    'join-delay': { type: 'string', default: process.env.DEMO_JOIN_DELAY_MS ?? '1500' },
    faults: { type: 'string', default: process.env.DEMO_FAULTS ?? '' },
    exit: { type: 'boolean', default: process.env.DEMO_EXIT === 'true' },
  },
});
const replicas = Number(values.replicas);
const say = (msg: string) => console.log(`[demo] ${msg}`);
const faultsText =
  values.faults && existsSync(values.faults) ? readFileSync(values.faults, 'utf8') : values.faults;

say(
  'starting: STACKIT simulator, etcd + kube-apiserver, machine-controller-manager, machine-controller, node simulator',
);
say(
  '(the first run builds kube-apiserver, etcd and machine-controller-manager from source: several minutes)',
);
const started = Date.now();
const stack = await startStack({
  namespace: 'shoot--local--demo',
  bootDelayMs: Number(values['boot-delay']),
  joinDelayMs: Number(values['join-delay']),
  ...(faultsText ? { faults: parseFaultProfile(JSON.parse(faultsText)) } : {}),
  logDir: `${process.env.TMPDIR ?? '/tmp'}/mcm-stackit-demo-logs`,
});
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('stopping every process the demo started ...');
  await stack.stop();
  say(
    'stopped: simulator, node simulator, machine-controller, machine-controller-manager, kube-apiserver, etcd',
  );
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

say(`stack up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
await stack.createClass('demo-class');
await stack.objects.create(
  'machinedeployments',
  machineDeployment('demo-workers', stack.namespace, 'demo-class', replicas),
);
say(
  `applied Secret stackit-credentials, MachineClass demo-class, MachineDeployment demo-workers (replicas ${replicas})`,
);

let lastLine = '';
for (;;) {
  const machines = await stack.objects.list('machines');
  const servers = stack.sim.servers();
  const rows = machines
    .map((m) => {
      const server = servers.find((s) => m.spec?.providerID?.endsWith(s.id) || s.name === m.metadata.name);
      const ip = server?.nics?.[0]?.ipv4 ?? '-';
      const phase = m.status?.currentStatus?.phase || '(creating)';
      return `${m.metadata.name} ${phase} ${ip} (server ${server?.status ?? '-'})`;
    })
    .sort();
  const line = rows.join(' | ');
  if (line !== lastLine) {
    say(`${((Date.now() - started) / 1000).toFixed(0)}s: ${line || 'no machines yet'}`);
    lastLine = line;
  }
  const running = machines.filter((m) => m.status?.currentStatus?.phase === 'Running').length;
  if (machines.length === replicas && running === replicas) break;
  await new Promise((r) => setTimeout(r, 1000));
}
say(`all ${replicas} machines Running after ${((Date.now() - started) / 1000).toFixed(1)} s`);
say('look around:');
say(`  export KUBECONFIG=${stack.cp.kubeconfigPath}`);
say(`  kubectl -n ${stack.namespace} get machinedeployments,machinesets,machines -o wide`);
say('  kubectl get nodes');
say(
  `  curl ${stack.sim.url}/admin/servers     # the simulator's servers; counters: ${stack.sim.url}/admin/counters`,
);
say(`  curl http://127.0.0.1:${stack.machineControllerPort}/metrics   # machine-controller metrics`);
say(`  logs: ${stack.logDir}`);
if (values.exit) await stop(0);
say('running until Ctrl-C');
