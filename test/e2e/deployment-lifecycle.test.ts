// End to end, a MachineDeployment's life as in MCM's own integration suite: scale 0 -> 1 -> 6 -> 2,
// a rolling update to a second MachineClass at 4 replicas, then deleting the deployment (MCM
// deletes its MachineSets and Machines itself: no garbage collector runs in this stack).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { McmObject } from '../../stack/mcm-objects.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import {
  assertServersMatchMachines,
  deleteDeployment,
  deployment,
  liveServers,
  machineOfServer,
  phaseOf,
  scale,
  serverIdOf,
  setClass,
  setStrategy,
  waitAllGone,
  waitMachines,
  watchHealthyBoots,
} from './helpers.ts';

const allRunning = (n: number, className?: string) => (ms: McmObject[]) =>
  ms.length === n &&
  ms.every((m) => phaseOf(m) === 'Running' && (className === undefined || m.spec?.class?.name === className));

describe('e2e: MachineDeployment lifecycle', { timeout: 900_000 }, () => {
  let stack: Stack;
  before(async () => {
    // A real boot's length (issue 14): every boot must look healthy to Gardener for its whole length.
    stack = await startStack({ namespace: 'shoot--e2e--lifecycle', bootDelayMs: 20_000, joinDelayMs: 1_000 });
  });
  after(async () => {
    await stack?.stop();
  });

  test('0 -> 1 -> 6 -> 2 replicas, rolling update to another class at 4, delete the deployment', async (t) => {
    const d = stack.sim.defaults;
    const healthy = watchHealthyBoots(stack);
    await stack.createClass('class-a');
    // The second class differs in a way the servers show: another machine type.
    await stack.createClass('class-b', stack.providerSpec({ machineType: 'c2i.4' }));
    assert.notEqual(d.machineType, 'c2i.4');
    const lap = (() => {
      let t0 = Date.now();
      return (what: string) => {
        t.diagnostic(`${what}: ${Date.now() - t0} ms`);
        t0 = Date.now();
      };
    })();

    // 0 replicas: nothing is created.
    await stack.objects.create('machinedeployments', deployment(stack, 'workers', 'class-a', 0));
    await waitMachines(stack, 'the MachineSet of the deployment exists', () => true, 10_000);
    // 0 -> 1
    await scale(stack, 'workers', 1);
    await waitMachines(stack, '1 Running machine', allRunning(1));
    assert.deepEqual(await assertServersMatchMachines(stack), []);
    lap('0 -> 1 Running');

    // 1 -> 6
    await scale(stack, 'workers', 6);
    const six = await waitMachines(stack, '6 Running machines', allRunning(6));
    assert.deepEqual(await assertServersMatchMachines(stack), []);
    assert.equal(new Set(six.map((m) => m.spec.providerID)).size, 6, 'six distinct ProviderIDs');
    for (const m of six) {
      assert.match(m.spec.providerID, /^stackit:\/\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
      const server = liveServers(stack).find((s) => s.id === serverIdOf(m));
      assert.equal(server?.status, 'ACTIVE');
      assert.equal(server?.labels?.['kubernetes.io/cluster'], stack.namespace, 'providerSpec labels');
      assert.equal(server?.labels?.['kubernetes.io/machineclass'], 'class-a');
      assert.equal(m.metadata.labels?.node, server?.name, 'Machine carries label node=<server name>');
    }
    lap('1 -> 6 Running');

    // 6 -> 2: the four deleted Machines take their servers with them.
    await scale(stack, 'workers', 2);
    const two = await waitMachines(
      stack,
      '2 Running machines and only their servers',
      (ms) => allRunning(2)(ms) && stack.sim.servers().length === 2,
    );
    assert.deepEqual(await assertServersMatchMachines(stack), []);
    const kept = new Set(two.map(serverIdOf));
    for (const m of six.filter((m) => !kept.has(serverIdOf(m))))
      assert.equal(
        stack.sim.servers().find((s) => s.id === serverIdOf(m)),
        undefined,
        `server of removed machine ${m.metadata.name} is gone`,
      );
    lap('6 -> 2 Running, 4 servers gone');

    // Rolling update at 4 replicas: scale to 4 on class-a, then switch the template to class-b.
    await scale(stack, 'workers', 4);
    const oldFour = await waitMachines(stack, '4 Running machines on class-a', allRunning(4, 'class-a'));
    assert.deepEqual(await assertServersMatchMachines(stack), []);
    lap('2 -> 4 Running');
    // maxSurge 2 (maxUnavailable 0): two new Machines at a time; with maxSurge 1 every Machine
    // costs one create + one delete cycle in turn (about 45 s each here, see docs/e2e.md).
    await setStrategy(stack, 'workers', { maxSurge: 2, maxUnavailable: 0 });
    await setClass(stack, 'workers', 'class-b');
    const newFour = await waitMachines(
      stack,
      '4 Running machines on class-b and no class-a server left',
      (ms) => allRunning(4, 'class-b')(ms) && stack.sim.servers().length === 4,
      300_000,
    );
    lap('rolling update to class-b done');
    const oldNames = new Set(oldFour.map((m) => m.metadata.name));
    for (const m of newFour) assert.ok(!oldNames.has(m.metadata.name), `${m.metadata.name} is a new Machine`);
    for (const s of liveServers(stack)) {
      assert.equal(s.machineType, 'c2i.4', `server ${s.name} has class-b's machine type`);
      assert.equal(s.labels?.['kubernetes.io/machineclass'], 'class-b');
      assert.ok(!oldNames.has(machineOfServer(s)));
    }
    for (const m of oldFour)
      assert.equal(
        stack.sim.servers().find((s) => s.id === serverIdOf(m)),
        undefined,
        `old server of ${m.metadata.name} is gone`,
      );
    assert.deepEqual(await assertServersMatchMachines(stack), []);

    // Delete the deployment: MCM's deployment controller deletes the MachineSets, the MachineSet
    // controller the Machines, the machine controller the servers.
    await deleteDeployment(stack, 'workers');
    await waitAllGone(stack);
    lap('deployment deleted, everything gone');
    assert.deepEqual(await assertServersMatchMachines(stack), []);
    await healthy.assertNothingLookedFailed();
  });
});
