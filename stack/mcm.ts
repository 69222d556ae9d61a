// Runs Gardener's machine-controller-manager binary (MachineDeployment/MachineSet controllers and
// the safety controller; no provider) against a harness control plane, with the flags of MCM's
// Makefile `start` target.
import { join } from 'node:path';
import type { ControlPlane } from './control-plane.ts';
import { freePort, type ManagedProcess, startProcess, waitForUrl } from './processes.ts';

export interface MachineControllerManagerOptions {
  /** Namespace on the control cluster holding Machines, MachineSets, MachineDeployments. */
  namespace: string;
  /** Kubeconfig of the target (shoot) cluster; default: the control plane's own. */
  targetKubeconfig?: string;
  /** Appended after the default flags, so they can override them. */
  extraArgs?: string[];
  /** Default: the control plane's bin directory. */
  binDir?: string;
  /** Default: the control plane's log directory. */
  logDir?: string;
  startTimeoutMs?: number;
}

export interface MachineControllerManager {
  readonly process: ManagedProcess;
  readonly logPath: string;
  /** Port of its /healthz and /metrics endpoint on 127.0.0.1. */
  readonly port: number;
  stop(): Promise<void>;
}

export async function startMachineControllerManager(
  cp: ControlPlane,
  opts: MachineControllerManagerOptions,
): Promise<MachineControllerManager> {
  const binDir = opts.binDir ?? cp.binDir;
  const port = await freePort();
  const proc = startProcess({
    name: `machine-controller-manager-${opts.namespace}`,
    command: join(binDir, 'machine-controller-manager'),
    args: [
      `--control-kubeconfig=${cp.kubeconfigPath}`,
      `--target-kubeconfig=${opts.targetKubeconfig ?? cp.kubeconfigPath}`,
      `--namespace=${opts.namespace}`,
      '--safety-up=2',
      '--safety-down=1',
      '--machine-safety-overshooting-period=1m',
      '--leader-elect=false',
      '--v=3',
      '--address=127.0.0.1',
      `--port=${port}`,
      ...(opts.extraArgs ?? []),
    ],
    logDir: opts.logDir ?? cp.logDir,
  });
  try {
    await waitForUrl(`http://127.0.0.1:${port}/healthz`, {
      timeoutMs: opts.startTimeoutMs ?? 60_000,
      what: 'machine-controller-manager /healthz',
      process: proc,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return {
    process: proc,
    logPath: proc.logPath,
    port,
    async stop() {
      await proc.stop(10_000);
    },
  };
}
