// The whole local stack, for e2e tests, the demo and benchmarks: the STACKIT simulator, etcd +
// kube-apiserver, Gardener's machine-controller-manager, our machine-controller (MCM's Go controller
// + the TypeScript STACKIT driver) and the node simulator.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import {
  type FaultProfile,
  type RunningSimulator,
  type SeedData,
  type ServiceAccountKey,
  startSimulator,
} from '../src/simulator/index.ts';
import { repoRoot } from './binaries.ts';
import { type ControlPlane, startControlPlane } from './control-plane.ts';
import { type MachineControllerManager, startMachineControllerManager } from './mcm.ts';
import { createNamespace, type McmObject, mcmClient } from './mcm-objects.ts';
import { type NodeFailureModes, type NodeSimulator, startNodeSimulator } from './node-simulator.ts';
import { PLUGIN_COMMAND } from './plugin-command.ts';
import {
  freePort,
  type ManagedProcess,
  pidExists,
  removeOnExit,
  startProcess,
  waitFor,
} from './processes.ts';

export const MACHINE_CONTROLLER_BIN = join(repoRoot, 'cmd/machine-controller/bin/machine-controller');
export { PLUGIN_COMMAND } from './plugin-command.ts';

export interface StackOptions {
  namespace?: string;
  bootDelayMs?: number;
  deleteDelayMs?: number;
  joinDelayMs?: number;
  faults?: FaultProfile;
  nodeFailureModes?: NodeFailureModes;
  /** Extra machine-controller flags, e.g. --machine-creation-timeout=2m. */
  machineControllerArgs?: string[];
  /** Extra machine-controller-manager flags (after the harness defaults), e.g. --concurrent-syncs=30. */
  mcmArgs?: string[];
  /** Keep process logs here instead of a temp dir removed on stop. */
  logDir?: string;
  /** Start Gardener's machine-controller-manager (MachineDeployments); default true. */
  withMcm?: boolean;
  randomSeed?: number;
  /** Simulator port (default: a free one); fixed ports let restartSimulator() keep the URL. */
  simulatorPort?: number;
  /** Simulator state file (see docs/simulator.md); restartSimulator() reloads it. */
  simulatorStateFile?: string;
  /** Simulator seed data (default: the built-in seed), e.g. from loadSeedFile(). */
  simulatorSeed?: SeedData;
  /** Runs the machine-controller another way (the image test: in a container); default the host binary. */
  startMachineController?: (ctx: MachineControllerContext) => ManagedProcess;
}

/** What a machine-controller of the stack needs; it must serve /healthz on 127.0.0.1:`port`. */
export interface MachineControllerContext {
  kubeconfigPath: string;
  namespace: string;
  port: number;
  simulatorUrl: string;
  logDir: string;
}

export interface Stack {
  sim: RunningSimulator;
  cp: ControlPlane;
  namespace: string;
  key: ServiceAccountKey;
  mcm: MachineControllerManager | undefined;
  machineController: ManagedProcess;
  machineControllerPort: number;
  nodes: NodeSimulator;
  logDir: string;
  objects: ReturnType<typeof mcmClient>;
  core: CoreV1Api;
  /** Secret `stackit-credentials` with the seed's keys, and a MachineClass using it. */
  createClass(name: string, providerSpec?: Record<string, unknown>): Promise<McmObject>;
  providerSpec(extra?: Record<string, unknown>): Record<string, unknown>;
  restartMachineController(): Promise<void>;
  /**
   * SIGKILLs the machine-controller (no cleanup: its plugin must notice by itself), waits until it
   * and its plugin are gone, then starts a new one unless `restart` is false.
   */
  killMachineController(opts?: { restart?: boolean }): Promise<void>;
  /** Stops the in-process simulator and, `downMs` later, starts it again on the same port and state file. */
  restartSimulator(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const quiet = pino({ level: 'silent' });

/** Pids of a process's direct children (Linux /proc). */
export function childPids(pid: number): number[] {
  // Go starts the plugin from whichever OS thread runs the goroutine: read every thread's children.
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const pids = new Set<number>();
  for (const task of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (child) pids.add(Number(child));
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return [...pids];
}

/** Running, not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  if (!pidExists(pid)) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const namespace = opts.namespace ?? 'shoot--local--demo';
  // MCM_STACKIT_TEST_LOG_DIR keeps every process log of the stack after the test (docs/development.md).
  const keepDir = process.env.MCM_STACKIT_TEST_LOG_DIR;
  if (keepDir) mkdirSync(keepDir, { recursive: true });
  const logDir = opts.logDir ?? mkdtempSync(join(keepDir ?? tmpdir(), 'mcm-stackit-stack-'));
  const forget = opts.logDir || keepDir ? () => {} : removeOnExit(logDir);
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    forget();
  };
  try {
    const simOptions = {
      bootDelayMs: opts.bootDelayMs ?? 2_000,
      deleteDelayMs: opts.deleteDelayMs ?? 1_000,
      randomSeed: opts.randomSeed ?? 7,
      logger: quiet,
      ...(opts.faults ? { faults: opts.faults } : {}),
      ...(opts.simulatorStateFile ? { stateFile: opts.simulatorStateFile } : {}),
      ...(opts.simulatorSeed ? { seed: opts.simulatorSeed } : {}),
    };
    let sim = await startSimulator({ ...simOptions, port: opts.simulatorPort ?? 0 });
    const simPort = Number(new URL(sim.url).port);
    stops.push(() => sim.close());
    const key = await sim.createServiceAccountKey({ name: 'machine-controller' });

    const cp = await startControlPlane({ logDir });
    stops.push(() => cp.stop());
    await createNamespace(cp.kubeConfig, namespace);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);

    const mcm =
      opts.withMcm === false
        ? undefined
        : await startMachineControllerManager(cp, {
            namespace,
            logDir,
            ...(opts.mcmArgs ? { extraArgs: opts.mcmArgs } : {}),
          });
    if (mcm) stops.push(() => mcm.stop());

    const port = await freePort();
    const startMc = () =>
      opts.startMachineController?.({
        kubeconfigPath: cp.kubeconfigPath,
        namespace,
        port,
        simulatorUrl: sim.url,
        logDir,
      }) ??
      startProcess({
        name: 'machine-controller',
        command: MACHINE_CONTROLLER_BIN,
        args: [
          `--control-kubeconfig=${cp.kubeconfigPath}`,
          `--target-kubeconfig=${cp.kubeconfigPath}`,
          `--namespace=${namespace}`,
          '--address=127.0.0.1',
          `--port=${port}`,
          '--leader-elect=false',
          '--machine-safety-orphan-vms-period=1m',
          '--v=2',
          ...(opts.machineControllerArgs ?? []),
        ],
        env: {
          ...process.env,
          MC_DRIVER: 'stackit',
          MC_DRIVER_PLUGIN_CMD: PLUGIN_COMMAND,
          STACKIT_IAAS_ENDPOINT: sim.url,
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
        },
        logDir,
      });
    let machineController = startMc();
    const waitHealthy = () =>
      waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          return res?.ok === true;
        },
        { timeoutMs: 60_000, what: 'machine-controller /healthz', process: machineController },
      );
    await waitHealthy();
    stops.push(() => machineController.stop());

    const nodes = startNodeSimulator({
      simulatorUrl: sim.url,
      targetKubeConfig: cp.kubeConfig,
      joinDelayMs: opts.joinDelayMs ?? 1_000,
      pollIntervalMs: 500,
      ...(opts.nodeFailureModes ? { failureModes: opts.nodeFailureModes } : {}),
    });
    stops.push(() => nodes.stop());

    const objects = mcmClient(cp.kubeConfig, namespace);
    const d = sim.defaults;
    const providerSpec = (extra: Record<string, unknown> = {}) => ({
      region: d.region,
      availabilityZone: d.availabilityZone,
      machineType: d.machineType,
      imageId: d.imageId,
      networking: { networkId: d.networkId },
      labels: { 'kubernetes.io/cluster': namespace },
      allowedAddresses: ['100.64.0.0/12'],
      ...extra,
    });
    let secretCreated = false;
    const createClass = async (name: string, spec = providerSpec()) => {
      if (!secretCreated) {
        await core.createNamespacedSecret({
          namespace,
          body: {
            metadata: { name: 'stackit-credentials', namespace },
            stringData: {
              projectId: d.projectId,
              serviceAccountKey: JSON.stringify(key),
              region: d.region,
              userData: '#cloud-config\n# bootstrap <<BOOTSTRAP_TOKEN>> for <<MACHINE_NAME>>\n',
            },
          },
        });
        secretCreated = true;
      }
      return objects.create('machineclasses', {
        apiVersion: 'machine.sapcloud.io/v1alpha1',
        kind: 'MachineClass',
        metadata: { name, namespace },
        provider: 'stackit',
        providerSpec: spec,
        secretRef: { name: 'stackit-credentials', namespace },
        credentialsSecretRef: { name: 'stackit-credentials', namespace },
      });
    };

    return {
      get sim() {
        return sim;
      },
      cp,
      namespace,
      key,
      mcm,
      get machineController() {
        return machineController;
      },
      machineControllerPort: port,
      nodes,
      logDir,
      objects,
      core,
      createClass,
      providerSpec,
      async restartMachineController() {
        await machineController.stop();
        machineController = startMc();
        await waitHealthy();
      },
      async killMachineController({ restart = true } = {}) {
        const plugins = childPids(machineController.pid);
        machineController.child.kill('SIGKILL');
        await machineController.exited;
        // The plugin notices its parent is gone within about a second (docs/bridge.md).
        await waitFor(() => plugins.every((pid) => !isAlive(pid)), {
          timeoutMs: 30_000,
          what: `driver plugin (pids ${plugins.join(', ')}) to exit after its machine-controller was killed`,
        });
        if (!restart) return;
        machineController = startMc();
        await waitHealthy();
      },
      async restartSimulator(downMs = 0) {
        const faults = sim.faults();
        await sim.close();
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        sim = await startSimulator({ ...simOptions, faults, port: simPort });
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
