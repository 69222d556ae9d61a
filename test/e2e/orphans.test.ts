// End to end, orphan collection by MCM's safety controller (it runs at start-up and every
// --machine-safety-orphan-vms-period): a server with this class's and this namespace's labels and
// no Machine is deleted, and so is a second server claiming a Running Machine's name; servers of
// another class, of another cluster (namespace label) or without a namespace label (made by the Go
// provider) are left alone, and the legitimate server is untouched.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../stack/processes.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import {
  assertServersMatchMachines,
  createServerBehindTheBack,
  deleteDeployment,
  deleteServerDirectly,
  deployment,
  machines,
  phaseOf,
  serverIdOf,
  waitAllGone,
  waitMachines,
} from './helpers.ts';

describe('e2e: orphan servers', { timeout: 600_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ namespace: 'shoot--e2e--orphans', bootDelayMs: 2_000, joinDelayMs: 1_000 });
  });
  after(async () => {
    await stack?.stop();
  });

  test('the safety controller collects our orphans and only ours', async (t) => {
    await stack.createClass('orphan-class');
    await stack.objects.create('machinedeployments', deployment(stack, 'workers', 'orphan-class', 1));
    const [legit] = await waitMachines(
      stack,
      '1 Running machine',
      (ms) => ms.length === 1 && phaseOf(ms[0]!) === 'Running',
    );
    const legitName: string = legit!.metadata.name;
    const legitServer = serverIdOf(legit!);

    // Behind the controller's back, with the same credentials and project:
    const ns = stack.namespace;
    const lost = await createServerBehindTheBack(stack, {
      name: 'lost-1',
      machineClass: 'orphan-class',
      namespace: ns,
    });
    // A second server for the Running Machine (what a lost create response can leave). Its server
    // name differs only because the node simulator would otherwise share one Node between both.
    const duplicate = await createServerBehindTheBack(stack, {
      name: `${legitName}-dup`,
      machine: legitName,
      machineClass: 'orphan-class',
      namespace: ns,
    });
    const otherClass = await createServerBehindTheBack(stack, {
      name: 'foreign-class-1',
      machineClass: 'not-a-class-here',
      namespace: ns,
    });
    const otherCluster = await createServerBehindTheBack(stack, {
      name: 'foreign-cluster-1',
      machineClass: 'orphan-class',
      namespace: 'shoot--other--cluster',
    });
    const goProvider = await createServerBehindTheBack(stack, {
      name: 'go-provider-1',
      machineClass: 'orphan-class',
    });
    const foreign = [otherClass.id, otherCluster.id, goProvider.id];
    await waitFor(() => stack.sim.servers().filter((s) => s.status === 'ACTIVE').length === 6, {
      timeoutMs: 60_000,
      what: 'all six servers ACTIVE',
    });

    // The safety controller runs at start-up (and every minute here): restart to run it now.
    const t0 = Date.now();
    await stack.restartMachineController();
    await waitFor(() => !stack.sim.servers().some((s) => s.id === lost.id || s.id === duplicate.id), {
      timeoutMs: 180_000,
      intervalMs: 500,
      what: 'the orphan and the duplicate deleted',
      process: stack.machineController,
    });
    t.diagnostic(`orphans collected ${Date.now() - t0} ms after the restart`);
    // Collection is a success in MCM's eyes, not a "Shall retry" error while the server is DELETING.
    await stack.machineController.waitForLog(/SafetyController: Orphan VM found and terminated VM/, 60_000);
    assert.doesNotMatch(
      stack.machineController.readLog(),
      /SafetyController: Error while trying to DELETE VM/,
    );

    const left = new Map(stack.sim.servers().map((s) => [s.id, s.status]));
    assert.equal(left.get(legitServer), 'ACTIVE', 'the Running Machine keeps its server');
    for (const id of foreign) assert.equal(left.get(id), 'ACTIVE', `server ${id} is not ours: kept`);
    assert.equal(left.size, 4);
    const [still] = await machines(stack);
    assert.equal(still?.metadata.name, legitName);
    assert.equal(phaseOf(still!), 'Running');
    assert.equal(serverIdOf(still!), legitServer);
    assert.deepEqual(await assertServersMatchMachines(stack, { ignoreServerIds: foreign }), []);

    // The foreign servers belong to someone else; remove them, then the deployment.
    for (const id of foreign) await deleteServerDirectly(stack, id);
    await deleteDeployment(stack, 'workers');
    await waitAllGone(stack);
    assert.deepEqual(await assertServersMatchMachines(stack), []);
  });
});
