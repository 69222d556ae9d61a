// The machine-controller binary (MCM's machine controller + gRPC bridge + TypeScript plugin with the
// in-memory driver) together with Gardener's machine-controller-manager: a MachineDeployment goes
// from 0 to 3 Running Machines and back to 0. The test plays kubelet: it registers a Node for every
// Machine that got a VM and then reports it Ready.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { repoRoot } from '../../stack/binaries.ts';
import { type ControlPlane, startControlPlane } from '../../stack/control-plane.ts';
import { type MachineControllerManager, startMachineControllerManager } from '../../stack/mcm.ts';
import { createNamespace, machineClass, machineDeployment, mcmClient } from '../../stack/mcm-objects.ts';
import { mergePatch } from '../../stack/merge-patch.ts';
import { freePort, type ManagedProcess, startProcess, waitFor } from '../../stack/processes.ts';

const MC_DIR = join(repoRoot, 'cmd/machine-controller');
const MC_BIN = join(MC_DIR, 'bin/machine-controller');
const NODE = join(repoRoot, 'node_modules/.bin/node');

describe('machine-controller (in-memory driver) with machine-controller-manager', () => {
  let control: ControlPlane;
  let target: ControlPlane;
  let mcm: MachineControllerManager | undefined;
  let mc: ManagedProcess | undefined;
  let stopKubelet: (() => void) | undefined;
  const ns = 'shoot--bridge--inmemory';
  const dir = mkdtempSync(join(tmpdir(), 'mc-inmemory-'));
  const stateFile = join(dir, 'vms.json');

  before(async () => {
    // `make test` builds it first; build here too so the test runs alone (incremental, quick).
    execFileSync('go', ['build', '-trimpath', '-o', MC_BIN, '.'], {
      cwd: MC_DIR,
      env: { ...process.env, GOTOOLCHAIN: 'local' },
      stdio: 'inherit',
    });
    [control, target] = await Promise.all([
      startControlPlane({ name: 'control' }),
      startControlPlane({ name: 'target', installMcmCrds: false }),
    ]);
    await createNamespace(control.kubeConfig, ns);
  });

  after(async () => {
    stopKubelet?.();
    await mc?.stop();
    await mcm?.stop();
    await Promise.all([control?.stop(), target?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const vms = (): unknown[] =>
    existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { vms: unknown[] }).vms : [];

  test('scales a MachineDeployment 0 -> 3 Running -> 0', { timeout: 600_000 }, async (t) => {
    const api = mcmClient(control.kubeConfig, ns);
    const core = control.kubeConfig.makeApiClient(CoreV1Api);
    const targetCore = target.kubeConfig.makeApiClient(CoreV1Api);

    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'workers-secret' },
        data: { userData: Buffer.from('#cloud-config').toString('base64') },
      },
    });
    await api.create(
      'machineclasses',
      machineClass('inmemory', ns, { secretName: 'workers-secret', provider: 'InMemory' }),
    );
    await api.create('machinedeployments', machineDeployment('workers', ns, 'inmemory', 0));

    mcm = await startMachineControllerManager(control, {
      namespace: ns,
      targetKubeconfig: target.kubeconfigPath,
    });
    const port = await freePort();
    mc = startProcess({
      name: 'machine-controller-inmemory',
      command: MC_BIN,
      args: [
        `--control-kubeconfig=${control.kubeconfigPath}`,
        `--target-kubeconfig=${target.kubeconfigPath}`,
        `--namespace=${ns}`,
        '--address=127.0.0.1',
        `--port=${port}`,
        '--leader-elect=false',
        '--machine-safety-orphan-vms-period=1m',
        '--driver-call-timeout=20s',
        '--v=2',
      ],
      env: {
        ...process.env,
        MC_DRIVER_PLUGIN_CMD: `${NODE} ${join(repoRoot, 'src/plugin/main.ts')}`,
        MC_DRIVER: 'inmemory',
        MC_INMEMORY_STATE: stateFile,
        LOG_LEVEL: 'info',
      },
      logDir: control.logDir,
    });
    const proc = mc;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, {
      timeoutMs: 60_000,
      what: 'machine-controller /healthz',
      process: proc,
    });

    // Fake kubelet: a Node per Machine that has a VM (providerID set), then Ready=True.
    const registered = new Set<string>();
    let running = true;
    const kubelet = (async () => {
      while (running) {
        try {
          for (const m of await api.list('machines')) {
            const name: string = m.metadata.name;
            if (!m.spec?.providerID || registered.has(name) || m.metadata.deletionTimestamp) continue;
            await targetCore.createNode({
              body: { metadata: { name }, spec: { providerID: m.spec.providerID } },
            });
            const now = new Date().toISOString();
            await targetCore.patchNodeStatus(
              {
                name,
                body: {
                  status: {
                    conditions: [
                      {
                        type: 'Ready',
                        status: 'True',
                        reason: 'KubeletReady',
                        message: 'ok',
                        lastHeartbeatTime: now,
                        lastTransitionTime: now,
                      },
                    ],
                  },
                },
              },
              mergePatch,
            );
            registered.add(name);
          }
        } catch {
          // retried on the next pass
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    stopKubelet = () => {
      running = false;
    };

    // A merge patch of spec.replicas (what `kubectl scale` amounts to), safe against MCM's writes.
    const scale = (replicas: number) => api.patch('machinedeployments', 'workers', { spec: { replicas } });

    await scale(3);
    await waitFor(
      async () => {
        const ms = await api.list('machines');
        return ms.length === 3 && ms.every((m) => m.status?.currentStatus?.phase === 'Running');
      },
      { timeoutMs: 300_000, intervalMs: 1000, what: '3 Running Machines', process: proc },
    );
    const machines = await api.list('machines');
    assert.equal(vms().length, 3, 'three in-memory VMs');
    for (const m of machines) {
      assert.match(m.spec.providerID, /^inmemory:\/\//);
      assert.equal(m.metadata.labels?.node, m.metadata.name, 'node label = NodeName = machine name');
    }

    await scale(0);
    await waitFor(async () => (await api.list('machines')).length === 0, {
      timeoutMs: 300_000,
      intervalMs: 1000,
      what: 'all Machines deleted',
      process: proc,
    });
    assert.equal(vms().length, 0, 'VMs deleted through the driver');
    const nodes = await targetCore.listNode();
    assert.deepEqual(
      nodes.items.map((n) => n.metadata?.name),
      [],
      'MCM deleted the Nodes',
    );
    running = false;
    await kubelet;
    if (process.env.BRIDGE_MEASURE) {
      // Opt-in numbers for docs/bridge.md: RSS of both processes after 20 s idle (0 Machines).
      await new Promise((r) => setTimeout(r, 20_000));
      const plugin = childPids(proc.pid)[0];
      t.diagnostic(
        `idle RSS: machine-controller ${rssKb(proc.pid)} kB, plugin ${plugin ? rssKb(plugin) : '?'} kB`,
      );
    }
    // The plugin's log lines reach the controller's log (successful calls themselves log at debug).
    assert.match(proc.readLog(), /driver-plugin: .*"method":"CreateMachine".*"msg":"in-memory VM created"/);
    // SIGTERM stops the plugin and the controller cleanly.
    assert.equal((await proc.stop()).code, 0);
  });
});

function rssKb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1]);
}

function childPids(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        // Field 4 of /proc/<pid>/stat is the parent pid (after the parenthesised command name).
        return Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
