// End to end, one bare Machine (no MachineSet, no MachineDeployment), as in MCM's own integration
// suite: create -> Running with a Ready Node -> delete -> server, Node and Machine (finalizers) gone.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { machine } from '../../stack/mcm-objects.ts';
import { waitFor } from '../../stack/processes.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import {
  assertServersMatchMachines,
  lastOp,
  liveServers,
  machines,
  nodeExists,
  phaseOf,
  serverIdOf,
  waitMachines,
  watchHealthyBoots,
} from './helpers.ts';

describe('e2e: a single Machine', { timeout: 600_000 }, () => {
  let stack: Stack;
  before(async () => {
    // A real boot's length (issue 14): the whole boot must look healthy to Gardener.
    stack = await startStack({ namespace: 'shoot--e2e--single', bootDelayMs: 20_000, joinDelayMs: 1_000 });
  });
  after(async () => {
    await stack?.stop();
  });

  test('create -> Running with a Ready Node -> delete leaves no server, no Node, no Machine', async (t) => {
    const t0 = Date.now();
    const healthy = watchHealthyBoots(stack);
    await stack.createClass('single-class');
    await stack.objects.create('machines', machine('single-1', stack.namespace, 'single-class'));

    const [running] = await waitMachines(
      stack,
      'machine single-1 Running',
      (ms) => ms.length === 1 && phaseOf(ms[0]!) === 'Running',
    );
    assert.ok(running);
    t.diagnostic(`Running after ${Date.now() - t0} ms`);
    // The server behind it: ACTIVE, named like the Machine, labelled for it, and the only one.
    const servers = liveServers(stack);
    assert.equal(servers.length, 1);
    const server = servers[0]!;
    assert.equal(server.status, 'ACTIVE');
    assert.equal(server.id, serverIdOf(running));
    assert.equal(running.spec.providerID, `stackit://${stack.sim.defaults.projectId}/${server.id}`);
    assert.equal(server.labels?.['kubernetes.io/machine'], 'single-1');
    assert.equal(server.labels?.['kubernetes.io/machineclass'], 'single-class');
    assert.equal(server.labels?.['machine.sapcloud.io/namespace'], stack.namespace);
    assert.equal(lastOp(running).state, 'Successful');
    assert.ok(
      running.metadata.finalizers?.includes('machine.sapcloud.io/machine-controller-manager'),
      'MCM put its finalizer on the Machine',
    );
    // The Node: named after the server, Ready, labelled with the Machine's name by MCM.
    const nodeName = running.metadata.labels?.node;
    assert.equal(nodeName, server.name);
    const node = await stack.core.readNode({ name: nodeName });
    assert.equal(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    await waitFor(
      async () =>
        (await stack.core.readNode({ name: nodeName })).metadata?.labels?.[
          'node.gardener.cloud/machine-name'
        ] === 'single-1',
      { timeoutMs: 60_000, what: 'Node labelled with its Machine name' },
    );
    assert.deepEqual(await assertServersMatchMachines(stack), []);

    // Delete: MCM drains, calls DeleteMachine until the server is gone, deletes the Node, then
    // removes its finalizer, and only then is the Machine object gone.
    const t1 = Date.now();
    await stack.objects.delete('machines', 'single-1');
    await waitFor(async () => (await machines(stack)).length === 0, {
      timeoutMs: 180_000,
      intervalMs: 500,
      what: 'Machine single-1 gone (finalizers removed)',
      process: stack.machineController,
    });
    t.diagnostic(`Machine gone ${Date.now() - t1} ms after the delete`);
    assert.deepEqual(
      stack.sim.servers().map((s) => `${s.name}=${s.status}`),
      [],
      'server deleted, not just DELETING: MCM removes the finalizer only after DeleteMachine said OK',
    );
    assert.equal(await nodeExists(stack, nodeName), false, 'Node deleted by MCM');
    assert.deepEqual(await assertServersMatchMachines(stack), []);
    await healthy.assertNothingLookedFailed();
  });

  test('deleted while its server boots: the server goes, nothing is left, nothing looked failed', async (t) => {
    const healthy = watchHealthyBoots(stack);
    await stack.objects.create('machines', machine('single-2', stack.namespace, 'single-class'));
    const [booting] = await waitMachines(
      stack,
      'machine single-2 has a ProviderID while its server boots',
      (ms) => ms.length === 1 && Boolean(ms[0]!.spec.providerID),
    );
    assert.equal(phaseOf(booting!), '', 'a booting Machine stays in phase ""');
    assert.equal(liveServers(stack).find((s) => s.id === serverIdOf(booting!))?.status, 'CREATING');
    const t1 = Date.now();
    await stack.objects.delete('machines', 'single-2');
    await waitFor(async () => (await machines(stack)).length === 0 && stack.sim.servers().length === 0, {
      timeoutMs: 180_000,
      intervalMs: 500,
      what: 'Machine single-2 and its server gone',
      process: stack.machineController,
    });
    t.diagnostic(`Machine and server gone ${Date.now() - t1} ms after the delete`);
    await healthy.assertNothingLookedFailed();
  });
});
