// The creation flow as MCM and Gardener read it (docs/architecture.md): a booting Machine is never
// a failed Machine, a server that can never run is reported as a failure flagged for the Failed
// marking, and a Machine being deleted always gets its node name.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MachineRequest } from '../../src/driver/types.ts';
import { Code } from '../../src/mcm/codes.ts';
import {
  codeOf,
  ctx,
  type Env,
  errorOf,
  mcmCreate,
  mcmDelete,
  minimalSpec,
  request,
  sleep,
  startEnv,
  withProviderId,
} from './helpers.ts';

const deleting = (req: MachineRequest): MachineRequest =>
  ({
    ...req,
    machine: {
      ...req.machine,
      metadata: { ...req.machine.metadata, deletionTimestamp: new Date().toISOString() },
    },
  }) as MachineRequest;

describe('creation flow', () => {
  let env: Env;
  // Boots take 2 s here, so each test sees the CREATING phase for real.
  before(async () => {
    env = await startEnv({ bootDelayMs: 2_000 }, { failureHolds: { capacityMs: 1_500, streakMs: 1_500 } });
  });
  after(() => env.close());

  test('while the server boots: Uninitialized with ProviderID and NodeName, InitializeMachine OK without API writes', async () => {
    const req = request(env, 'boot-1', minimalSpec(env, { allowedAddresses: ['10.96.0.0/11'] }));
    const created = await env.driver.createMachine(req, ctx());
    // Also without a ProviderID (MCM's write of it failed): the same identity, not NotFound.
    for (const r of [req, withProviderId(req, created.providerId)]) {
      const err = await errorOf(env.driver.getMachineStatus(r, ctx()));
      assert.equal(err.code, Code.Uninitialized, err.message);
      assert.match(err.message, /CREATING; waiting for it to become ACTIVE/);
      assert.deepEqual(
        { providerId: err.partial?.providerId, nodeName: err.partial?.nodeName },
        { providerId: created.providerId, nodeName: 'boot-1' },
      );
    }
    env.sim.resetCounters();
    const init = await env.driver.initializeMachine(withProviderId(req, created.providerId), ctx());
    assert.equal(init.providerId, created.providerId);
    const ops = env.sim.counters().byOperation;
    assert.equal(ops.UpdateNic ?? 0, 0, 'nothing to write while booting');
    assert.equal(ops.CreateServer ?? 0, 0);

    const done = await mcmCreate(env, withProviderId(req, created.providerId));
    assert.equal(done.providerId, created.providerId, 'the ProviderID never changes');
    const server = env.sim.servers().find((s) => created.providerId.endsWith(s.id))!;
    assert.equal(server.status, 'ACTIVE');
    assert.deepEqual(server.nics?.[0]?.allowedAddresses, ['10.96.0.0/11'], 'initialized once ACTIVE');
    assert.equal(env.sim.servers().filter((s) => s.name === 'boot-1').length, 1);
    await mcmDelete(env, withProviderId(req, created.providerId));
  });

  test('a Machine being deleted gets OK with its node name whatever state its server is in', async () => {
    const req = request(env, 'del-boot-1', minimalSpec(env, { allowedAddresses: ['10.96.0.0/11'] }));
    const created = await env.driver.createMachine(req, ctx());
    // Booting, and (below) ACTIVE without its allowedAddresses: both are Uninitialized in creation.
    const st = await env.driver.getMachineStatus(deleting(req), ctx());
    assert.equal(st.nodeName, 'del-boot-1');
    assert.equal(st.providerId, created.providerId);
    await sleep(2_300);
    assert.equal(await codeOf(env.driver.getMachineStatus(req, ctx())), Code.Uninitialized);
    const active = await env.driver.getMachineStatus(
      deleting(withProviderId(req, created.providerId)),
      ctx(),
    );
    assert.equal(active.nodeName, 'del-boot-1');
    await mcmDelete(env, withProviderId(req, created.providerId));
    assert.equal(
      await codeOf(env.driver.getMachineStatus(deleting(withProviderId(req, created.providerId)), ctx())),
      Code.NotFound,
      'NotFound once no server exists',
    );
  });

  test('no capacity: ResourceExhausted with STACKIT’s message, flagged machineFailed; the replacement is held, then created', async () => {
    env.sim.setFaults({ capacityExhausted: { namePattern: '^cap-' } });
    const req = request(env, 'cap-1', minimalSpec(env));
    const created = await env.driver.createMachine(req, ctx());
    await sleep(2_200);
    const withId = withProviderId(req, created.providerId);
    const st = await errorOf(env.driver.getMachineStatus(withId, ctx()));
    assert.equal(st.code, Code.Uninitialized, 'GetMachineStatus leaves the verdict to InitializeMachine');
    const err = await errorOf(env.driver.initializeMachine(withId, ctx()));
    assert.equal(err.code, Code.ResourceExhausted, err.message);
    assert.equal(err.machineFailed, true);
    assert.match(err.message, /No valid host was found/);
    assert.match(err.message, new RegExp(`machine type ${env.sim.defaults.machineType}`));
    assert.match(err.message, /another zone or machine type/);

    // The MachineSet's replacement, seconds later: held, nothing created.
    env.sim.resetCounters();
    const replacement = request(env, 'cap-2', minimalSpec(env));
    const held = await errorOf(env.driver.createMachine(replacement, ctx()));
    assert.equal(held.code, Code.ResourceExhausted);
    assert.match(held.message, /lack of capacity .* ago/);
    assert.equal(env.sim.counters().byOperation.CreateServer ?? 0, 0);

    env.sim.setFaults({});
    await sleep(1_600);
    const ok = await mcmCreate(env, replacement);
    assert.ok(ok.providerId);
    // The failed Machine's deletion removes its ERROR server.
    await mcmDelete(env, withId);
    await mcmDelete(env, withProviderId(replacement, ok.providerId));
    assert.deepEqual(
      env.sim.servers().filter((s) => s.name.startsWith('cap-')),
      [],
    );
  });

  test('other ERRORs: Internal, flagged; after three in a row the class’s creates are held', async () => {
    env.sim.setFaults({ bootFailure: { namePattern: '^bad-', message: 'disk image corrupt' } });
    const codes: number[] = [];
    for (const name of ['bad-1', 'bad-2', 'bad-3']) {
      const req = request(env, name, minimalSpec(env), { className: 'bad-class' });
      const c = await env.driver.createMachine(req, ctx());
      await sleep(2_200);
      const err = await errorOf(env.driver.initializeMachine(withProviderId(req, c.providerId), ctx()));
      assert.equal(err.machineFailed, true);
      assert.match(err.message, /disk image corrupt/);
      codes.push(err.code);
      await mcmDelete(env, withProviderId(req, c.providerId));
    }
    assert.deepEqual(codes, [Code.Internal, Code.Internal, Code.Internal]);
    const held = await errorOf(
      env.driver.createMachine(request(env, 'bad-4', minimalSpec(env), { className: 'bad-class' }), ctx()),
    );
    assert.equal(held.code, Code.Internal);
    assert.match(held.message, /last 3 servers of machine class bad-class ended in ERROR/);
    assert.equal(env.sim.servers().filter((s) => s.name === 'bad-4').length, 0);
    env.sim.setFaults({});
  });

  test('a server still CREATING after the creation timeout: DeadlineExceeded, flagged', async () => {
    env.sim.setFaults({ stuckCreating: { namePattern: '^stuck-create-' } });
    const req = request(env, 'stuck-create-1', minimalSpec(env));
    const c = await env.driver.createMachine(req, ctx());
    const withId = withProviderId(req, c.providerId);
    // Within the timeout: waiting, not failing.
    const inTime = { ...withId, creationTimeoutMs: 60_000 };
    assert.equal((await env.driver.initializeMachine(inTime, ctx())).providerId, c.providerId);
    await sleep(2_200);
    const late = { ...withId, creationTimeoutMs: 1_000 };
    const err = await errorOf(env.driver.initializeMachine(late, ctx()));
    assert.equal(err.code, Code.DeadlineExceeded, err.message);
    assert.equal(err.machineFailed, true);
    assert.match(err.message, /still CREATING after the machine's creation timeout/);
    env.sim.setFaults({});
    await mcmDelete(env, withId);
  });

  test('a server deleted behind MCM’s back during creation: flagged as failed, not Pending', async () => {
    const req = request(env, 'vanish-1', minimalSpec(env));
    const c = await env.driver.createMachine(req, ctx());
    const withId = withProviderId(req, c.providerId);
    await mcmDelete(env, withId);
    const st = await errorOf(env.driver.getMachineStatus(withId, ctx()));
    assert.equal(st.code, Code.Uninitialized, 'not NotFound: that would move the Machine to Pending');
    assert.equal(st.partial?.providerId, c.providerId);
    const err = await errorOf(env.driver.initializeMachine(withId, ctx()));
    assert.equal(err.code, Code.Internal);
    assert.equal(err.machineFailed, true);
    assert.match(err.message, /was deleted before the machine joined/);
  });
});

describe('deletion waits in the call, not as a failure', () => {
  let env: Env;
  before(async () => {
    env = await startEnv({ deleteDelayMs: 1_500 }, { deleteWaitMs: 8_000 });
  });
  after(() => env.close());

  test('one DeleteMachine call answers OK once the server is gone, with one DeleteServer', async () => {
    const req = request(env, 'del-wait-1', minimalSpec(env));
    const { providerId } = await mcmCreate(env, req);
    env.sim.resetCounters();
    const t0 = Date.now();
    await env.driver.deleteMachine(withProviderId(req, providerId), ctx(20_000));
    assert.ok(Date.now() - t0 >= 1_400, 'it waited for the deletion');
    assert.deepEqual(
      env.sim.servers().filter((s) => s.name === 'del-wait-1'),
      [],
    );
    const ops = env.sim.counters().byOperation;
    assert.equal(ops.DeleteServer, 1);
    assert.ok((ops.ListServers ?? 0) + (ops.GetServer ?? 0) <= 4, JSON.stringify(ops));
  });

  test('a server stuck in DELETING: Unavailable once the wait’s bound is reached', async () => {
    const req = request(env, 'del-stuck-1', minimalSpec(env));
    const { providerId } = await mcmCreate(env, req);
    env.sim.setFaults({ stuckDeleting: { namePattern: '^del-stuck-' } });
    try {
      const t0 = Date.now();
      // The call's deadline (12 s) bounds the wait below deleteWaitMs: 12 - 5 s of margin.
      const err = await errorOf(env.driver.deleteMachine(withProviderId(req, providerId), ctx(12_000)));
      assert.equal(err.code, Code.Unavailable);
      assert.match(err.message, /is being deleted; waiting until it is gone/);
      assert.ok(Date.now() - t0 < 8_000, 'bounded by the call deadline');
    } finally {
      env.sim.setFaults({});
    }
    env.sim.setServerState(providerId.split('/').pop()!, { status: 'ACTIVE' });
    await mcmDelete(env, withProviderId(req, providerId));
  });
});
