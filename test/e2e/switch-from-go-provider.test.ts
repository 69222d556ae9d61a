// End to end, switching from the existing Go provider (stackitcloud/machine-controller-manager-
// provider-stackit): its controller is stopped with Running Machines and their servers in place,
// ours starts on the same objects. MCM never asks the driver about a Running Machine, so adoption
// happens in orphan collection (ListMachines, at start-up and every orphan period): the servers
// its Machines hold by ProviderID are labelled ours, in both label generations of the Go provider,
// and from then on collected like ours once their Machine is gone. Servers no Machine here holds
// (their Machine is gone, or another cluster owns them) are left alone, logged and counted.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { MCM_GROUP, MCM_VERSION } from '../../stack/mcm-objects.ts';
import { waitFor } from '../../stack/processes.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import { deleteServerDirectly, phaseOf } from './helpers.ts';

const ORPHAN_PERIOD_S = 20;
const NS_LABEL = 'machine.sapcloud.io/namespace';
const CLASS = 'go-class';

/** Labels of the Go provider's releases: v0.3.0 and later, and v0.1.0-v0.2.0. */
const goLabels = {
  current: (machine: string) => ({ 'kubernetes.io/machine': machine, 'kubernetes.io/machineclass': CLASS }),
  oldest: (machine: string) => ({
    'mcm.gardener.cloud/machine': machine,
    'mcm.gardener.cloud/machineclass': CLASS,
    'mcm.gardener.cloud/role': 'node',
  }),
};

describe('e2e: switching from the Go provider', { timeout: 600_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      namespace: 'shoot--e2e--switch',
      withMcm: false,
      bootDelayMs: 1_000,
      joinDelayMs: 500,
      machineControllerArgs: [`--machine-safety-orphan-vms-period=${ORPHAN_PERIOD_S}s`],
    });
  });
  after(async () => {
    await stack?.stop();
  });

  /** A server as the Go provider creates it: its labels, no namespace label, no metadata. */
  async function goProviderServer(name: string, labels: Record<string, string>): Promise<string> {
    const d = stack.sim.defaults;
    const token = await stack.sim.mintAccessToken(stack.key.credentials.kid);
    const res = await fetch(`${stack.sim.url}/v2/projects/${d.projectId}/regions/${d.region}/servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        name,
        machineType: d.machineType,
        imageId: d.imageId,
        networking: { networkId: d.networkId },
        labels: { 'kubernetes.io/cluster': 'shoot--e2e--switch', ...labels },
      }),
    });
    if (res.status !== 201) throw new Error(`CreateServer answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  }

  /** A Running Machine as the Go provider's controller leaves it: ProviderID, node label, status. */
  async function runningMachine(name: string, serverId: string): Promise<void> {
    const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const base = { group: MCM_GROUP, version: MCM_VERSION, namespace: stack.namespace, plural: 'machines' };
    const created = await api.createNamespacedCustomObject({
      ...base,
      body: {
        apiVersion: `${MCM_GROUP}/${MCM_VERSION}`,
        kind: 'Machine',
        metadata: { name, namespace: stack.namespace, labels: { node: name } },
        spec: {
          class: { kind: 'MachineClass', name: CLASS },
          providerID: `stackit://${stack.sim.defaults.projectId}/${serverId}`,
        },
      },
    });
    const now = new Date().toISOString();
    await api.replaceNamespacedCustomObjectStatus({
      ...base,
      name,
      body: {
        ...created,
        status: {
          currentStatus: { phase: 'Running', lastUpdateTime: now },
          lastOperation: {
            type: 'Create',
            state: 'Successful',
            description: 'Machine created by the Go provider',
            lastUpdateTime: now,
          },
        },
      },
    });
  }

  const server = (id: string) => stack.sim.servers().find((s) => s.id === id);
  const labelsOf = (id: string) => (server(id)?.labels ?? {}) as Record<string, string>;
  const unownedGauge = async () => {
    const res = await fetch(`http://127.0.0.1:${stack.machineControllerPort}/metrics`);
    const m = (await res.text()).match(/^stackit_unowned_legacy_servers\{machine_class="go-class"\} (\d+)$/m);
    return m ? Number(m[1]) : undefined;
  };

  test('Running Machines keep their servers, now ours; the rest is left alone and reported', async (t) => {
    await stack.createClass(CLASS);
    // The Go provider's controller runs, ours does not.
    await stack.machineController.stop();

    const runNew = await goProviderServer('run-new', goLabels.current('run-new'));
    const runOld = await goProviderServer('run-old', goLabels.oldest('run-old'));
    const goneNew = await goProviderServer('gone-new', goLabels.current('gone-new'));
    const goneOld = await goProviderServer('gone-old', goLabels.oldest('gone-old'));
    // Another cluster in the same project, with a Machine of the same name as one here.
    const twin = await goProviderServer('other-run-new', goLabels.current('run-new'));
    const unowned = [goneNew, goneOld, twin];
    await runningMachine('run-new', runNew);
    await runningMachine('run-old', runOld);
    await waitFor(() => stack.sim.servers().filter((s) => s.status === 'ACTIVE').length === 5, {
      timeoutMs: 60_000,
      what: 'the five servers ACTIVE',
    });

    // The switch.
    const t0 = Date.now();
    await stack.restartMachineController();
    await waitFor(
      () => labelsOf(runNew)[NS_LABEL] !== undefined && labelsOf(runOld)[NS_LABEL] !== undefined,
      {
        timeoutMs: (ORPHAN_PERIOD_S + 10) * 1000,
        intervalMs: 200,
        what: 'both Running Machines’ servers adopted within one orphan period',
        process: stack.machineController,
      },
    );
    t.diagnostic(`adopted ${Date.now() - t0} ms after the switch (orphan period ${ORPHAN_PERIOD_S} s)`);
    for (const [id, name] of [
      [runNew, 'run-new'],
      [runOld, 'run-old'],
    ] as const) {
      assert.equal(labelsOf(id)[NS_LABEL], stack.namespace);
      assert.equal(labelsOf(id)['kubernetes.io/machine'], name);
      assert.equal(labelsOf(id)['kubernetes.io/machineclass'], CLASS);
      const adoption = stack.machineController
        .readLog()
        .split('\n')
        .find((l) => l.includes('adopted server created by the Go provider') && l.includes(id));
      assert.match(adoption ?? '', /ListMachines/, `${name} adopted by orphan collection: ${adoption}`);
    }
    assert.equal(labelsOf(runOld)['mcm.gardener.cloud/role'], 'node', 'the Go provider’s labels stay');

    // A further sweep: nothing unprovable is touched, every sweep reports it.
    await waitFor(() => (stack.machineController.readLog().match(/are left alone/g) ?? []).length >= 2, {
      timeoutMs: (ORPHAN_PERIOD_S + 15) * 1000,
      what: 'a second orphan sweep',
      process: stack.machineController,
    });
    for (const id of unowned) {
      assert.equal(server(id)?.status, 'ACTIVE', `${server(id)?.name} left alone`);
      assert.equal(labelsOf(id)[NS_LABEL], undefined);
    }
    const report = stack.machineController
      .readLog()
      .split('\n')
      .find((l) => l.includes('are left alone'));
    for (const id of unowned) assert.match(report ?? '', new RegExp(id), 'the log line names each server');
    assert.equal(await unownedGauge(), 3);
    for (const name of ['run-new', 'run-old']) {
      const m = await stack.objects.get('machines', name);
      assert.equal(phaseOf(m), 'Running', `${name} is still Running`);
    }
    assert.equal(server(runNew)?.status, 'ACTIVE');
    assert.equal(server(runOld)?.status, 'ACTIVE');

    // run-old's Machine disappears without MCM's deletion flow (finalizer removed, say, while no
    // controller ran): its server is an orphan now, and ours, so orphan collection deletes it.
    await stack.machineController.stop();
    const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
    const base = { group: MCM_GROUP, version: MCM_VERSION, namespace: stack.namespace, plural: 'machines' };
    const m = await stack.objects.get('machines', 'run-old');
    m.metadata.finalizers = [];
    await api.replaceNamespacedCustomObject({ ...base, name: 'run-old', body: m });
    await stack.objects.delete('machines', 'run-old');
    const t1 = Date.now();
    await stack.restartMachineController();
    await waitFor(() => server(runOld) === undefined || server(runOld)?.status === 'DELETING', {
      timeoutMs: (ORPHAN_PERIOD_S + 10) * 1000,
      intervalMs: 200,
      what: 'the adopted server of the vanished Machine collected',
      process: stack.machineController,
    });
    t.diagnostic(`collected ${Date.now() - t1} ms after the restart`);
    await stack.machineController.waitForLog(
      /SafetyController: Orphan VM found and terminated VM: run-old/,
      30_000,
    );
    assert.equal(server(runNew)?.status, 'ACTIVE', 'the Running Machine keeps its server');
    for (const id of unowned) assert.equal(server(id)?.status, 'ACTIVE');

    // Cleanup: the unowned servers by hand (what the operator would do), run-new through MCM.
    for (const id of unowned) await deleteServerDirectly(stack, id);
    await stack.objects.delete('machines', 'run-new');
    await waitFor(() => server(runNew) === undefined, {
      timeoutMs: 120_000,
      what: 'run-new deleted through MCM',
      process: stack.machineController,
    });
  });
});
