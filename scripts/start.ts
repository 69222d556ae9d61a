// `make start`: our machine-controller against real clusters and a real (or simulated) STACKIT,
// configured the way MCM's own integration framework passes it: CONTROL_KUBECONFIG,
// TARGET_KUBECONFIG (default: the control cluster), CONTROL_NAMESPACE. STACKIT_IAAS_ENDPOINT etc.
// pass through. Arguments go to the machine-controller.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli } from '../src/util/cli.ts';
import { repoRoot } from '../stack/binaries.ts';
import { MACHINE_CONTROLLER_BIN, PLUGIN_COMMAND } from '../stack/stack.ts';

const USAGE = `Usage: npm run start -- [<machine-controller flags>]        (make start runs it)

Runs our machine-controller (MCM's Go controller + the TypeScript STACKIT driver) against real
clusters and a real or simulated STACKIT. Configured by environment:

  CONTROL_KUBECONFIG     kubeconfig of the cluster holding Machines, MachineClasses, Secrets (required)
  CONTROL_NAMESPACE      namespace of those objects (required)
  TARGET_KUBECONFIG      kubeconfig of the cluster the Nodes join (default: CONTROL_KUBECONFIG)
  STACKIT_IAAS_ENDPOINT  IaaS API base URL (default: STACKIT's; the simulator's URL for local runs)

Every other argument goes to the machine-controller (which rejects flags it does not know), e.g.
  npm run start -- --v=4 --machine-creation-timeout=30m
See docs/operations.md.

  -h, --help             this text (only as the sole argument)
`;

// All arguments are the machine-controller's, as \`npm run start -- --v=4\` always passed them; only a
// lone --help is ours. A leading \`--\` is dropped for those who separate them anyway.
const argv = process.argv.slice(2);
const helpOnly = argv.length === 1 && (argv[0] === '--help' || argv[0] === '-h');
parseCli({
  name: 'start',
  command: 'npm run start --',
  usage: USAGE,
  options: {},
  argv: helpOnly ? argv : [],
});
const rest = argv[0] === '--' ? argv.slice(1) : argv;

const control = process.env.CONTROL_KUBECONFIG;
const namespace = process.env.CONTROL_NAMESPACE;
const missing = [!control && 'CONTROL_KUBECONFIG', !namespace && 'CONTROL_NAMESPACE'].filter(Boolean);
if (missing.length > 0) {
  console.error(
    `make start needs ${missing.join(' and ')} (and optionally TARGET_KUBECONFIG); see docs/operations.md`,
  );
  process.exit(2);
}
if (!existsSync(MACHINE_CONTROLLER_BIN)) {
  console.error(`${MACHINE_CONTROLLER_BIN} is missing: run make machine-controller`);
  process.exit(2);
}
const args = [
  `--control-kubeconfig=${control}`,
  `--target-kubeconfig=${process.env.TARGET_KUBECONFIG ?? control}`,
  `--namespace=${namespace}`,
  '--leader-elect=false',
  ...rest,
];
console.error(`[start] ${MACHINE_CONTROLLER_BIN} ${args.join(' ')}`);
const child = spawn(MACHINE_CONTROLLER_BIN, args, {
  stdio: 'inherit',
  cwd: join(repoRoot),
  env: { MC_DRIVER: 'stackit', MC_DRIVER_PLUGIN_CMD: PLUGIN_COMMAND, ...process.env },
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
