// Kubernetes-side faults and scoping on the real stack:
// - two clusters (two namespaces, each with its own machine-controller) share one STACKIT project
//   and the same class name: each one's orphan collection removes its own orphan and never a server
//   of the other;
// - kube-apiserver stopped mid-create: MCM's safety controller freezes the machine-controller, and
//   after the restart it unfreezes and everything converges without a duplicate;
// - a conflict storm: every Machine rewritten every 20 ms during a scale-up and scale-down;
// - a secret scan over everything the scenarios left behind;
// - two machine-controller replicas with leader election: the leader is SIGKILLed
//   mid-create and the other takes over without a duplicate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CustomObjectsApi } from '@kubernetes/client-node';
import {
  createNamespace,
  MCM_GROUP,
  MCM_VERSION,
  machine,
  machineDeployment,
  mcmClient,
} from '../../stack/mcm-objects.ts';
import { type ManagedProcess, waitFor } from '../../stack/processes.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import { machines, phaseOf, scale } from '../e2e/helpers.ts';
import {
  assertNoSecretLeaks,
  converge,
  HEAVY,
  HOSTNAME_NAMESPACE_SKIP,
  restartApiserver,
  type ServerWatcher,
  startExtraMachineController,
  suiteSeed,
  watchServers,
} from './helpers.ts';

const SEED = suiteSeed();
const CLASS = 'workers'; // the same class name in both clusters

describe('resilience: Kubernetes faults and scoping', { timeout: 1_200_000 }, () => {
  let stack: Stack;
  let watcher: ServerWatcher;
  const extra: ManagedProcess[] = [];

  before(async () => {
    console.log(`resilience kube-faults seed: RESILIENCE_SEED=${SEED} (heavy=${HEAVY})`);
    stack = await startStack({
      namespace: 'shoot--resilience--a',
      bootDelayMs: 1_500,
      deleteDelayMs: 800,
      joinDelayMs: 500,
      randomSeed: SEED,
      machineControllerArgs: [
        '--machine-safety-orphan-vms-period=10s',
        '--machine-safety-apiserver-statuscheck-period=5s',
        '--machine-safety-apiserver-statuscheck-timeout=5s',
      ],
    });
    watcher = watchServers(stack);
    await stack.createClass(CLASS);
    await stack.objects.create('machinedeployments', machineDeployment('md', stack.namespace, CLASS, 0));
  });
  after(async () => {
    watcher?.stop();
    for (const p of extra.toReversed()) await p.stop(5_000);
    await stack?.stop();
  });

  const token = () => stack.sim.mintAccessToken(stack.key.credentials.kid);
  async function createServerDirectly(name: string, labels: Record<string, string>) {
    const d = stack.sim.defaults;
    const res = await fetch(`${stack.sim.url}/v2/projects/${d.projectId}/regions/${d.region}/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name,
        machineType: d.machineType,
        imageId: d.imageId,
        networking: { networkId: d.networkId },
        labels,
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }
  const serverExists = (id: string) =>
    stack.sim.servers().some((s) => s.id === id && s.status !== 'DELETING');

  test('two clusters, one project, same class name: orphan collection stays in its cluster', async () => {
    // Cluster B: its own namespace, Secret, class (same name) and machine-controller.
    const nsB = 'shoot--resilience--b';
    await createNamespace(stack.cp.kubeConfig, nsB);
    const secret = await stack.core.readNamespacedSecret({
      name: 'stackit-credentials',
      namespace: stack.namespace,
    });
    await stack.core.createNamespacedSecret({
      namespace: nsB,
      body: { metadata: { name: 'stackit-credentials', namespace: nsB }, data: secret.data ?? {} },
    });
    const objectsB = mcmClient(stack.cp.kubeConfig, nsB);
    await objectsB.create('machineclasses', {
      apiVersion: 'machine.sapcloud.io/v1alpha1',
      kind: 'MachineClass',
      metadata: { name: CLASS, namespace: nsB },
      provider: 'stackit',
      providerSpec: stack.providerSpec({ labels: { 'kubernetes.io/cluster': nsB } }),
      secretRef: { name: 'stackit-credentials', namespace: nsB },
      credentialsSecretRef: { name: 'stackit-credentials', namespace: nsB },
    });
    const b = await startExtraMachineController(stack, {
      name: 'machine-controller-b',
      namespace: nsB,
      args: ['--machine-safety-orphan-vms-period=10s'],
    });
    extra.push(b.process);
    for (const n of ['b-worker-1', 'b-worker-2']) await objectsB.create('machines', machine(n, nsB, CLASS));
    await scale(stack, 'md', 2);
    await converge(stack, 2);
    await waitFor(
      async () =>
        (await objectsB.list('machines')).every((m) => m.spec?.providerID && phaseOf(m) === 'Running'),
      { timeoutMs: 240_000, what: "cluster B's machines Running", process: b.process },
    );
    const bServers = stack.sim
      .servers()
      .filter((s) => s.labels?.['machine.sapcloud.io/namespace'] === nsB)
      .map((s) => s.id);
    assert.equal(bServers.length, 2);

    // An orphan in each cluster; A's is named after one of B's Machines.
    const orphanA = await createServerDirectly('a-ghost', {
      'kubernetes.io/machine': 'b-worker-1',
      'kubernetes.io/machineclass': CLASS,
      'machine.sapcloud.io/namespace': stack.namespace,
    });
    const orphanB = await createServerDirectly('b-ghost', {
      'kubernetes.io/machine': 'b-ghost',
      'kubernetes.io/machineclass': CLASS,
      'machine.sapcloud.io/namespace': nsB,
    });
    await waitFor(() => !serverExists(orphanA) && !serverExists(orphanB), {
      timeoutMs: 180_000,
      what: 'both orphans collected by their own cluster',
    });
    // A few more orphan periods (10 s) for any wrong deletion to show.
    await sleep(25_000);
    for (const id of bServers) assert.ok(serverExists(id), `cluster B's server ${id} is untouched`);
    const aMachines = await machines(stack);
    assert.equal(aMachines.length, 2);
    for (const m of aMachines) {
      const id = String(m.spec.providerID).split('/').pop() ?? '';
      assert.ok(serverExists(id), `cluster A's server ${id} is untouched`);
    }
    assert.ok(
      (await objectsB.list('machines')).every((m) => phaseOf(m) === 'Running'),
      "cluster B's machines stay Running",
    );
    // Clean up B: delete its Machines, then stop its controller.
    for (const n of ['b-worker-1', 'b-worker-2']) await objectsB.delete('machines', n);
    await waitFor(async () => (await objectsB.list('machines')).length === 0, {
      timeoutMs: 180_000,
      what: "cluster B's machines deleted",
      process: b.process,
    });
    await b.process.stop();
    assert.deepEqual(
      stack.sim.servers().filter((s) => s.labels?.['machine.sapcloud.io/namespace'] === nsB),
      [],
    );
    await scale(stack, 'md', 0);
    await converge(stack, 0);
    assert.deepEqual(watcher.duplicates(), []);
  });

  test('kube-apiserver down mid-create: the safety controller freezes, unfreezes, converges', async () => {
    const mc = stack.machineController;
    const creates = () => stack.sim.counters().byOperationAndStatus.CreateServer?.['201'] ?? 0;
    const c0 = creates();
    await scale(stack, 'md', 2);
    await waitFor(() => creates() > c0, { timeoutMs: 120_000, what: 'first CreateServer' });
    let callsWhileFrozen = -1;
    const apiserver = await restartApiserver(stack, async () => {
      await mc.waitForLog(/SafetyController: Freezing Machine Controller/, 120_000);
      const before = stack.sim.counters().byOperation;
      await sleep(8_000);
      const now = stack.sim.counters().byOperation;
      callsWhileFrozen =
        (now.CreateServer ?? 0) -
        (before.CreateServer ?? 0) +
        (now.DeleteServer ?? 0) -
        (before.DeleteServer ?? 0);
    });
    extra.push(apiserver);
    assert.equal(callsWhileFrozen, 0, 'no server is created or deleted while frozen');
    await mc.waitForLog(/SafetyController: UnFreezing Machine Controller/, 180_000);
    assert.ok(mc.isRunning(), 'the machine-controller survived the outage');
    await converge(stack, 2);
    await scale(stack, 'md', 0);
    await converge(stack, 0);
    assert.deepEqual(watcher.duplicates(), []);
  });

  test('conflict storm: every Machine is rewritten every 20 ms while it is created and deleted', async () => {
    // Each write bumps the resourceVersion, so MCM's updates from its informer cache keep failing
    // with 409 Conflict and must be retried from a fresh read.
    const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const base = { group: MCM_GROUP, version: MCM_VERSION, namespace: stack.namespace, plural: 'machines' };
    // Conflicts on Machines, in the machine-controller and in MCM (MachineSet controller).
    const conflictsInLog = () =>
      [stack.machineController, stack.mcm?.process]
        .map((p) => (p?.readLog().match(/Operation cannot be fulfilled on machines/g) ?? []).length)
        .reduce((a, b) => a + b, 0);
    const conflicts0 = conflictsInLog();
    let writes = 0;
    let storming = true;
    const storm = (async () => {
      while (storming) {
        for (const m of await stack.objects.list('machines').catch(() => [])) {
          m.metadata.annotations = { ...m.metadata.annotations, 'resilience.test/storm': String(writes) };
          await api
            .replaceNamespacedCustomObject({ ...base, name: m.metadata.name, body: m })
            .then(() => writes++)
            .catch(() => undefined); // our own conflicts with MCM's writes: the next round wins
        }
        await sleep(20);
      }
    })();
    try {
      await scale(stack, 'md', 2);
      await converge(stack, 2);
      await scale(stack, 'md', 0);
      await converge(stack, 0);
    } finally {
      storming = false;
      await storm;
    }
    const conflicts = conflictsInLog() - conflicts0;
    console.log(
      `conflict storm: ${writes} Machine rewrites, ${conflicts} Machine update conflicts in the machine-controller and MCM logs`,
    );
    assert.ok(writes > 20, `the storm rewrote Machines (${writes} writes)`);
    assert.ok(conflicts > 0, 'the machine-controller met conflicts and got past them');
    assert.deepEqual(watcher.duplicates(), []);
  });

  test('leader election: the leader is SIGKILLed mid-create, the standby takes over', {
    skip: HOSTNAME_NAMESPACE_SKIP,
  }, async () => {
    // The stack's own controller runs without leader election: stop it, run two elected replicas.
    await stack.killMachineController({ restart: false });
    const args = [
      '--leader-elect=true',
      '--leader-elect-lease-duration=8s',
      '--leader-elect-renew-deadline=5s',
      '--leader-elect-retry-period=1s',
      '--machine-safety-orphan-vms-period=30m',
    ];
    // Distinct hostnames, as two pods have: the hostname is MCM's leader-election identity.
    const r1 = await startExtraMachineController(stack, {
      name: 'mc-replica-1',
      namespace: stack.namespace,
      args,
      hostname: 'mc-replica-1',
    });
    extra.push(r1.process);
    await r1.process.waitForLog(/successfully acquired lease/, 120_000);
    const r2 = await startExtraMachineController(stack, {
      name: 'mc-replica-2',
      namespace: stack.namespace,
      args,
      hostname: 'mc-replica-2',
    });
    extra.push(r2.process);
    await r2.process.waitForLog(/attempting to acquire leader lease/, 120_000);
    const creates = () => stack.sim.counters().byOperationAndStatus.CreateServer?.['201'] ?? 0;
    const c0 = creates();
    await scale(stack, 'md', 2);
    await waitFor(() => creates() > c0, { timeoutMs: 120_000, what: 'first CreateServer' });
    assert.doesNotMatch(
      r2.process.readLog(),
      /successfully acquired lease/,
      'the standby does not lead while the leader lives',
    );
    r1.process.child.kill('SIGKILL');
    await r2.process.waitForLog(/successfully acquired lease/, 120_000);
    await converge(stack, 2);
    await scale(stack, 'md', 0);
    await converge(stack, 0);
    assert.deepEqual(watcher.duplicates(), []);
  });

  test('no secret in the logs of every controller and replica, Events, Machine objects or /metrics', async () => {
    await assertNoSecretLeaks(stack);
  });
});
