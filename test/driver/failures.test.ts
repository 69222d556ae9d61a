// How the driver reports failures: the MCM code (which decides MCM's retry) and words an operator
// can act on. One test per row of the error table in src/errors.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
  secretFor,
  startEnv,
  withProviderId,
} from './helpers.ts';

describe('driver failures', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(() => env.close());

  test('an invalid providerSpec and Secret: InvalidArgument naming every field, and no API call', async () => {
    env.sim.resetCounters();
    const spec = {
      machineType: '',
      imageId: 'not-a-uuid',
      availabilityZone: 'eu01-9x',
      bootVolume: { size: -1 },
    };
    const secret = secretFor(env, { projectId: 'nope' });
    const err = await errorOf(env.driver.createMachine(request(env, 'bad-1', spec, { secret }), ctx()));
    assert.equal(err.code, Code.InvalidArgument);
    for (const field of [
      'providerSpec.machineType',
      'providerSpec.imageId',
      'providerSpec.availabilityZone',
      'providerSpec.bootVolume.size',
      'secret.projectId',
    ]) {
      assert.ok(err.message.includes(field), `message names ${field}: ${err.message}`);
    }
    assert.ok(!err.message.includes('['), 'no square brackets: MCM parses them');
    assert.equal(env.sim.counters().total, 0);
  });

  test('a broken service account key: InvalidArgument naming the problem, never the key', async () => {
    const key = JSON.parse(env.keyJson);
    delete key.credentials.kid;
    const secret = secretFor(env, { serviceAccountKey: JSON.stringify(key) });
    const err = await errorOf(
      env.driver.createMachine(request(env, 'bad-key', minimalSpec(env), { secret }), ctx()),
    );
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.message, /kid/);
    assert.ok(
      !err.message.includes('PRIVATE KEY') && !err.message.includes(key.credentials.privateKey.slice(40, 80)),
    );
  });

  test('400 from the API (unknown image): InvalidArgument with the API message', async () => {
    const spec = minimalSpec(env, { imageId: '11111111-2222-4333-8444-555555555555' });
    const err = await errorOf(env.driver.createMachine(request(env, 'bad-image', spec), ctx()));
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.message, /image/i);
  });

  test('401 (key the API does not know): Unauthenticated', async () => {
    const other = await env.sim.createServiceAccountKey();
    other.credentials.kid = '99999999-9999-4999-8999-999999999999';
    const secret = secretFor(env, { serviceAccountKey: JSON.stringify(other) });
    const err = await errorOf(
      env.driver.getMachineStatus(request(env, 'auth-1', minimalSpec(env), { secret }), ctx()),
    );
    assert.equal(err.code, Code.Unauthenticated);
  });

  test('403 (key limited to another project): PermissionDenied', async () => {
    const p2 = env.sim.addProject();
    const limited = await env.sim.createServiceAccountKey({ projectIds: [p2.id] });
    const secret = secretFor(env, { serviceAccountKey: JSON.stringify(limited) });
    const err = await errorOf(
      env.driver.getMachineStatus(request(env, 'perm-1', minimalSpec(env), { secret }), ctx()),
    );
    assert.equal(err.code, Code.PermissionDenied);
  });

  test('404: GetMachineStatus NotFound for a Machine without server', async () => {
    assert.equal(
      await codeOf(env.driver.getMachineStatus(request(env, 'nothing-here', minimalSpec(env)), ctx())),
      Code.NotFound,
    );
  });

  test('409 from the API: Aborted', async () => {
    env.sim.setFaults({ operations: { ListServers: { errorRate: 1, errorStatus: 409 } } });
    try {
      assert.equal(
        await codeOf(env.driver.createMachine(request(env, 'conflict-1', minimalSpec(env)), ctx())),
        Code.Aborted,
      );
    } finally {
      env.sim.setFaults({});
    }
  });

  for (const [what, fault] of [
    ['429 with Retry-After', { rateLimitRate: 1, retryAfterSeconds: 30 }],
    ['500', { errorRate: 1, errorStatus: 500 }],
    ['malformed JSON', { malformedRate: 1, malformedKind: 'invalid-json' }],
    ['an unknown status value', { malformedRate: 1, malformedKind: 'missing-required' }],
  ] as const) {
    test(`${what}: Unavailable (MCM retries in 5 s), no crash`, async () => {
      env.sim.setFaults({ operations: { ListServers: fault } });
      try {
        const err = await errorOf(
          env.driver.getMachineStatus(request(env, 'transient-1', minimalSpec(env)), ctx(3000)),
        );
        assert.equal(err.code, Code.Unavailable, err.message);
      } finally {
        env.sim.setFaults({});
      }
    });
  }

  test('network error (API unreachable): Unavailable', async () => {
    const dead = await startEnv();
    await dead.close();
    const err = await errorOf(
      dead.driver.getMachineStatus(request(dead, 'net-1', minimalSpec(dead)), ctx(3000)),
    );
    assert.equal(err.code, Code.Unavailable);
  });

  test('quota exceeded on create: ResourceExhausted', async () => {
    env.sim.setFaults({ quotaExceeded: { namePattern: '^quota-' } });
    try {
      const err = await errorOf(env.driver.createMachine(request(env, 'quota-1', minimalSpec(env)), ctx()));
      assert.equal(err.code, Code.ResourceExhausted, err.message);
      assert.match(err.message, /quota/i);
    } finally {
      env.sim.setFaults({});
    }
  });

  test('DeleteMachine waits (Unavailable) while a server is stuck in DELETING, without failing', async () => {
    const req = request(env, 'stuck-1', minimalSpec(env));
    const { providerId } = await mcmCreate(env, req);
    env.sim.setFaults({ stuckDeleting: { namePattern: '^stuck-' } });
    try {
      const withId = withProviderId(req, providerId);
      for (let i = 0; i < 3; i++)
        assert.equal(await codeOf(env.driver.deleteMachine(withId, ctx())), Code.Unavailable);
      assert.equal(env.sim.counters().byOperation.DeleteServer !== undefined, true);
    } finally {
      env.sim.setFaults({});
    }
    env.sim.setServerState(providerId.split('/').pop()!, { status: 'ACTIVE' });
    await mcmDelete(env, withProviderId(req, providerId));
  });
});
