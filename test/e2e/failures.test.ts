// End to end, failures on the real stack (simulator faults, node simulator failure modes), each
// ending with the invariant: one live server per Machine, none without one. Each failure must
// explain itself on the Machine (lastOperation) in user terms: which field, which quota, which
// server state. The first three scenarios run side by side (their names and faults do not overlap);
// the IaaS error-rate scenario runs alone, since it hits every call.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { McmObject } from '../harness/mcm-objects.ts';
import { machine } from '../harness/mcm-objects.ts';
import type { NodeFailureModes } from '../harness/node-simulator.ts';
import { type Stack, startStack } from '../harness/stack.ts';
import {
  assertServersMatchMachines,
  deleteDeployment,
  deployment,
  lastOp,
  liveServers,
  machines,
  machinesOf,
  nodeExists,
  observeMachines,
  patchFaults,
  phaseOf,
  scale,
  serverIdOf,
  waitGone,
  waitMachines,
} from './helpers.ts';

const named = (name: string, check: (m: McmObject) => boolean) => (ms: McmObject[]) => {
  const m = ms.find((x) => x.metadata.name === name);
  return m !== undefined && check(m);
};
const running = (m: McmObject) => phaseOf(m) === 'Running';

describe('e2e: failures', { timeout: 1_200_000 }, () => {
  let stack: Stack;
  // Read by the node simulator on every pass: lifting the fault is clearing the field.
  const nodeModes: NodeFailureModes = { neverJoin: /^nojoin-/ };
  before(async () => {
    stack = await startStack({
      namespace: 'shoot--e2e--failures',
      bootDelayMs: 2_000,
      joinDelayMs: 1_000,
      nodeFailureModes: nodeModes,
      // MCM waits 10 minutes after ResourceExhausted by default.
      machineControllerArgs: ['--resource-exhausted-retry=15s'],
    });
    // Classes first, one after the other (they share the Secret, created with the first one).
    await stack.createClass('fail-class');
    await stack.createClass('cap-class', stack.providerSpec({ machineType: 'm2i.8' }));
    await stack.createClass('invalid-class', stack.providerSpec({ availabilityZone: 'europe-1' }));
  });
  after(async () => {
    await stack?.stop();
  });

  describe('each failure explains itself and is repaired', { concurrency: true }, () => {
    test('no capacity, exhausted quota, invalid class: ResourceExhausted / InvalidArgument with the facts, recovery when capacity and quota return', async (t) => {
      const d = stack.sim.defaults;
      patchFaults(stack, {
        capacityExhausted: { machineTypes: ['m2i.8'] },
        quotaExceeded: { namePattern: '^quota-', resource: 'vCPU' },
      });
      const t0 = Date.now();
      await stack.objects.create('machines', machine('cap-1', stack.namespace, 'cap-class'));
      await stack.objects.create('machines', machine('quota-1', stack.namespace, 'fail-class'));
      await stack.objects.create('machines', machine('invalid-1', stack.namespace, 'invalid-class'));

      // No capacity: STACKIT lets the server end in ERROR "No valid host was found".
      const ms = await waitMachines(
        stack,
        'cap-1 ResourceExhausted, quota-1 ResourceExhausted, invalid-1 InvalidArgument',
        (ms) =>
          named('cap-1', (m) => lastOp(m).errorCode === 'ResourceExhausted')(ms) &&
          named('quota-1', (m) => lastOp(m).errorCode === 'ResourceExhausted')(ms) &&
          named('invalid-1', (m) => lastOp(m).errorCode === 'InvalidArgument')(ms),
      );
      t.diagnostic(`all three explained themselves after ${Date.now() - t0} ms`);
      const op = (name: string) => lastOp(ms.find((m) => m.metadata.name === name)!);
      const phase = (name: string) => phaseOf(ms.find((m) => m.metadata.name === name)!);

      const cap = op('cap-1').description;
      assert.equal(phase('cap-1'), 'CrashLoopBackOff', 'retried, not Failed');
      assert.match(cap, /No valid host was found/, 'STACKIT’s own message');
      assert.match(cap, /status ERROR/, 'the server state');
      assert.match(cap, /machine type m2i\.8/, 'which machine type');
      assert.match(cap, new RegExp(`in ${d.availabilityZone}`), 'which zone');
      assert.match(cap, /deleted it/, 'what the driver did about the broken server');
      assert.match(cap, /another zone or machine type/, 'what the user can change');

      const quota = op('quota-1').description;
      assert.equal(phase('quota-1'), 'CrashLoopBackOff');
      assert.match(quota, /vCPU quota/, 'which quota');
      assert.match(quota, /raise the quota or scale down/, 'what to do');
      assert.match(quota, /quota-1/, 'which machine');

      const inv = op('invalid-1').description;
      assert.equal(phase('invalid-1'), 'CrashLoopBackOff');
      assert.match(inv, /machine class invalid-class is invalid/, 'which class');
      assert.match(inv, /providerSpec\.availabilityZone/, 'which field');
      assert.match(inv, /eu01-1/, 'an example of a valid value');
      assert.equal(
        stack.sim.servers().filter((s) => s.name === 'invalid-1' || s.name === 'quota-1').length,
        0,
        'nothing was created for the invalid class or beyond the quota',
      );

      // The controller log carries the same facts (one line per failed driver call).
      const log = readFileSync(stack.machineController.logPath, 'utf8');
      assert.match(log, /No valid host was found/);
      assert.match(log, /vCPU quota/);
      assert.match(log, /providerSpec\.availabilityZone/);

      // Capacity and quota come back: both Machines recover on their own.
      patchFaults(stack, { capacityExhausted: undefined, quotaExceeded: undefined });
      const t1 = Date.now();
      const after = await waitMachines(
        stack,
        'cap-1 and quota-1 Running',
        (ms) => named('cap-1', running)(ms) && named('quota-1', running)(ms),
      );
      t.diagnostic(`Running ${Date.now() - t1} ms after capacity and quota returned`);
      const capServer = liveServers(stack).find(
        (s) => s.id === serverIdOf(after.find((m) => m.metadata.name === 'cap-1')!),
      );
      assert.equal(capServer?.status, 'ACTIVE');
      assert.equal(capServer?.machineType, 'm2i.8');
      assert.ok((stack.sim.counters().faults.capacityExhausted ?? 0) >= 1);
      assert.ok((stack.sim.counters().faults.quotaExceeded ?? 0) >= 1);
      assert.deepEqual(
        stack.sim
          .servers()
          .filter((s) => s.name === 'cap-1')
          .map((s) => s.status),
        ['ACTIVE'],
        'the servers that ended in ERROR were deleted',
      );
      for (const p of ['cap-', 'quota-'])
        assert.deepEqual(await assertServersMatchMachines(stack, { machinePrefix: p }), []);

      // A Machine of an invalid class can still be deleted.
      for (const n of ['cap-1', 'quota-1', 'invalid-1']) await stack.objects.delete('machines', n);
      for (const p of ['cap-', 'quota-', 'invalid-']) await waitGone(stack, p);
      for (const p of ['cap-', 'quota-', 'invalid-'])
        assert.deepEqual(await assertServersMatchMachines(stack, { machinePrefix: p }), []);
    });

    test('a server that ends in ERROR is replaced under the same Machine', async (t) => {
      const panic = 'Failed to boot: kernel panic - not syncing: VFS: Unable to mount root fs';
      patchFaults(stack, { bootFailure: { namePattern: '^boot-', message: panic } });
      const t0 = Date.now();
      await stack.objects.create('machines', machine('boot-1', stack.namespace, 'fail-class'));
      const [broken] = await waitMachines(stack, 'boot-1 reports its server in ERROR', (ms) =>
        named('boot-1', (m) => lastOp(m).description.includes('status ERROR'))(ms),
      );
      // Lift the fault at once, so the next server boots.
      patchFaults(stack, { bootFailure: undefined });
      const desc = lastOp(broken!).description;
      assert.match(
        desc,
        /server boot-1 \([0-9a-f-]{36}\) failed with status ERROR/,
        'which server, which state',
      );
      assert.ok(desc.includes(panic), 'STACKIT’s errorMessage, verbatim');
      assert.match(desc, /deleted it, a new server will be created/, 'what happens next');
      assert.equal(lastOp(broken!).errorCode, 'Unavailable', 'retried in 5 s, not after a backoff');
      const brokenId = /\(([0-9a-f-]{36})\) failed with status ERROR/.exec(desc)![1]!;

      const [m] = await waitMachines(stack, 'boot-1 Running', named('boot-1', running));
      t.diagnostic(`Running on a new server after ${Date.now() - t0} ms`);
      const fresh = (await machines(stack)).find((x) => x.metadata.name === 'boot-1')!;
      assert.ok(m);
      assert.notEqual(serverIdOf(fresh), brokenId, 'a different server');
      assert.equal(
        stack.sim.servers().find((s) => s.id === brokenId),
        undefined,
        'the broken server is gone',
      );
      assert.ok((stack.sim.counters().faults.bootFailure ?? 0) >= 1);
      assert.deepEqual(await assertServersMatchMachines(stack, { machinePrefix: 'boot-' }), []);
      await stack.objects.delete('machines', 'boot-1');
      await waitGone(stack, 'boot-');
    });

    test('a node that never joins: Failed after the creation timeout, replaced by the MachineSet', async (t) => {
      const watch = observeMachines(stack);
      try {
        const t0 = Date.now();
        // A short creation timeout for these Machines only (MCM's default is 20 minutes).
        await stack.objects.create(
          'machinedeployments',
          deployment(stack, 'nojoin', 'fail-class', 1, { creationTimeout: '60s' }),
        );
        const [first] = machinesOf(
          await waitMachines(stack, 'a nojoin Machine Pending (server ACTIVE, no Node)', (ms) =>
            machinesOf(ms, 'nojoin').some((m) => phaseOf(m) === 'Pending'),
          ),
          'nojoin',
        );
        assert.ok(first);
        const firstName: string = first.metadata.name;
        const firstServer = serverIdOf(first);
        assert.equal(liveServers(stack).find((s) => s.id === firstServer)?.status, 'ACTIVE');

        // MCM marks it Failed once the creation timeout passed, and the MachineSet replaces it.
        await waitMachines(
          stack,
          `${firstName} Failed and replaced`,
          (ms) =>
            watch.seen.some((o) => o.machine === firstName && o.phase === 'Failed') &&
            machinesOf(ms, 'nojoin').some((m) => m.metadata.name !== firstName) &&
            !liveServers(stack).some((s) => s.id === firstServer),
          300_000,
        );
        t.diagnostic(`Failed and replaced after ${Date.now() - t0} ms`);
        const failed = watch.seen.find((o) => o.machine === firstName && o.phase === 'Failed')!;
        assert.match(failed.description, new RegExp(`${firstName} failed to join the cluster in 1m0s`));

        // The bootstrap problem is fixed: the replacement joins and runs.
        nodeModes.neverJoin = undefined;
        const ms = await waitMachines(
          stack,
          'the replacement Running, the failed Machine gone',
          (ms) =>
            machinesOf(ms, 'nojoin').length === 1 &&
            machinesOf(ms, 'nojoin').every((m) => running(m) && m.metadata.name !== firstName),
        );
        t.diagnostic(`replacement Running after ${Date.now() - t0} ms`);
        const [replacement] = machinesOf(ms, 'nojoin');
        assert.notEqual(serverIdOf(replacement!), firstServer);
        assert.equal(
          stack.sim.servers().find((s) => s.id === firstServer),
          undefined,
          'the failed Machine’s server is gone',
        );
        assert.equal(await nodeExists(stack, firstName), false);
        assert.deepEqual(await assertServersMatchMachines(stack, { machinePrefix: 'nojoin-' }), []);
        await deleteDeployment(stack, 'nojoin');
        await waitGone(stack, 'nojoin-');
      } finally {
        nodeModes.neverJoin = undefined;
        await watch.stop();
      }
    });
  });

  test('a 20% IaaS error rate on every operation: scale up and down still converge', async (t) => {
    const watch = observeMachines(stack);
    patchFaults(stack, { operations: { '*': { errorRate: 0.2 } } });
    stack.sim.resetCounters();
    try {
      const t0 = Date.now();
      await stack.objects.create('machinedeployments', deployment(stack, 'flaky', 'fail-class', 3));
      await waitMachines(
        stack,
        '3 flaky Machines Running',
        (ms) => machinesOf(ms, 'flaky').length === 3 && machinesOf(ms, 'flaky').every(running),
        300_000,
      );
      assert.deepEqual(await assertServersMatchMachines(stack, { machinePrefix: 'flaky-' }), []);
      t.diagnostic(`3 Running after ${Date.now() - t0} ms`);
      await scale(stack, 'flaky', 1);
      await waitMachines(
        stack,
        '1 flaky Machine Running, 1 server',
        (ms) =>
          machinesOf(ms, 'flaky').length === 1 &&
          machinesOf(ms, 'flaky').every(running) &&
          stack.sim.servers().filter((s) => s.name?.startsWith('flaky-')).length === 1,
        300_000,
      );
      assert.deepEqual(await assertServersMatchMachines(stack, { machinePrefix: 'flaky-' }), []);
      await deleteDeployment(stack, 'flaky');
      await waitGone(stack, 'flaky-', 300_000);
      t.diagnostic(`whole scenario ${Date.now() - t0} ms`);
      const c = stack.sim.counters();
      t.diagnostic(`IaaS calls ${c.total}, injected errors ${c.faults.error ?? 0}`);
      assert.ok((c.faults.error ?? 0) > 0, 'errors were injected');
      // A 5xx is transient: it may delay a Machine but never fails it or shows a code that waits
      // minutes (InvalidArgument, Internal...). Where one reached MCM (CreateServer is not retried
      // inside the driver, reads are), the Machine says which call failed and how.
      const flaky = watch.seen.filter((o) => o.machine.startsWith('flaky-'));
      assert.deepEqual(
        flaky.filter((o) => o.phase === 'Failed' || !['', 'Unavailable'].includes(o.errorCode)),
        [],
      );
      const surfaced = flaky.filter((o) => o.description.includes('the STACKIT API failed'));
      t.diagnostic(`distinct Machine states naming an injected API failure: ${surfaced.length}`);
      for (const o of surfaced) assert.match(o.description, /[A-Za-z]+Servers?: .*HTTP 500/);
    } finally {
      patchFaults(stack, { operations: undefined });
      await watch.stop();
    }
  });

  test('nothing is left behind', async () => {
    assert.deepEqual(await machines(stack), []);
    assert.deepEqual(
      stack.sim.servers().map((s) => `${s.name}=${s.status}`),
      [],
    );
    assert.deepEqual(await assertServersMatchMachines(stack), []);
  });
});
