// Bad input through the real STACKIT driver against the simulator: random invalid ProviderSpecs and
// Secrets (fast-check) must end in InvalidArgument with a message naming the field, and never reach
// CreateServer; malformed API answers (truncated JSON, missing required fields, unknown status
// values) must end in a clear retryable error, never an unexpected one. No-auth mode is refused for
// a real STACKIT endpoint. In-process: the plugin's crash behaviour is covered on the full stack in
// api-faults.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createStackitDriver } from '../../src/driver/stackit/index.ts';
import {
  genericNamePattern,
  regionPattern,
  uuidPattern,
  zonePattern,
} from '../../src/machine-class/patterns.ts';
import { MachineError } from '../../src/mcm/errors.ts';
import {
  codeOf,
  ctx,
  type Env,
  minimalSpec,
  request,
  secretFor,
  silent,
  startEnv,
} from '../driver/helpers.ts';
import { suiteSeed } from './helpers.ts';

const SEED = suiteSeed();
const INVALID_ARGUMENT = 3;
const UNAVAILABLE = 14;

const notMatching = (re: RegExp) => fc.string({ maxLength: 40 }).filter((s) => s !== '' && !re.test(s));
const notUuid = notMatching(uuidPattern);

/** Per providerSpec field, values that are always invalid, and the field the error must name. */
const badSpecFields: Record<string, fc.Arbitrary<unknown>> = {
  machineType: fc.oneof(fc.integer(), fc.boolean(), notMatching(genericNamePattern)),
  imageId: fc.oneof(fc.integer(), notUuid),
  region: fc.oneof(fc.integer(), notMatching(regionPattern)),
  availabilityZone: fc.oneof(fc.integer(), notMatching(zonePattern)),
  labels: fc.oneof(
    fc.constant({ 'stackit-x': 'a' }),
    fc.string({ minLength: 64, maxLength: 80 }).map((k) => ({ [k]: 'v' })),
    fc.integer().map((n) => ({ a: n })),
  ),
  networking: fc.oneof(
    fc.constant({}),
    notUuid.map((networkId) => ({ networkId })),
    fc.constant({ nicIds: [] }),
  ),
  userData: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string(), { minLength: 1 })),
  bootVolume: fc.oneof(
    fc.integer({ max: 0 }).map((size) => ({ size })),
    fc.constant({ deleteOnTermination: 'yes' }),
    fc.constant({ source: { type: 'floppy' } }),
  ),
  volumes: fc.oneof(fc.string(), fc.array(notUuid, { minLength: 1, maxLength: 3 })),
  keypairName: fc.oneof(fc.integer(), fc.constant('has space')),
  affinityGroup: fc.oneof(fc.integer(), notUuid),
  allowedAddresses: fc.oneof(fc.constantFrom('999.1.1.1', '10.0.0.0/33', 'example.com'), fc.integer()),
  metadata: fc.oneof(fc.constant({ 'a/b': 'x' }), fc.array(fc.string(), { minLength: 1 })),
};

describe('resilience: bad input through the real driver', { timeout: 300_000 }, () => {
  let env: Env;
  before(async () => {
    console.log(`resilience bad-input seed: RESILIENCE_SEED=${SEED}`);
    env = await startEnv({ randomSeed: SEED });
  });
  after(async () => {
    await env?.close();
  });

  const createCalls = () => {
    const c = env.sim.counters().byOperation;
    return c.CreateServer ?? 0;
  };

  async function expectInvalid(spec: unknown, secret = secretFor(env), field?: string) {
    const before = createCalls();
    const name = `bad-${Math.random().toString(36).slice(2, 8)}`;
    const req = request(env, name, spec, { secret });
    let err: unknown;
    try {
      await env.driver.createMachine(req, ctx());
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof MachineError, `a MachineError, got ${String(err)}`);
    assert.equal(err.code, INVALID_ARGUMENT, `InvalidArgument for ${JSON.stringify(spec)}: ${err.message}`);
    assert.ok(err.message.length < 4_000, 'message stays readable');
    assert.doesNotMatch(err.message, /[[\]]/, 'no square brackets (MCM parses them)');
    if (field) assert.match(err.message, new RegExp(field.replace(/[.]/g, '\\.')), err.message);
    assert.equal(createCalls(), before, 'no CreateServer call for an invalid class');
    // MCM's first call on every pass is GetMachineStatus: it must not create either.
    await codeOf(env.driver.getMachineStatus(req, ctx()));
    assert.equal(createCalls(), before);
    return err;
  }

  test('a valid spec with one invalid field: InvalidArgument naming the field, no CreateServer', async () => {
    const fields = Object.keys(badSpecFields);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...fields).chain((f) => badSpecFields[f]!.map((bad) => ({ f, bad }))),
        async ({ f, bad }) => {
          const spec = {
            ...minimalSpec(env, { networking: { networkId: env.sim.defaults.networkId } }),
            [f]: bad,
          };
          await expectInvalid(spec, secretFor(env), `providerSpec.${f}`);
        },
      ),
      { numRuns: 150, seed: SEED },
    );
    assert.equal(env.sim.counters().byOperation.CreateServer ?? 0, 0);
  });

  // Unknown fields are warnings by design (src/machine-class/provider-spec.ts), so they are not here.
  test('non-object and empty specs are InvalidArgument', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer())),
          fc.constant({}),
          fc.constant({ machineType: 'c2i.2' }),
        ),
        async (spec) => {
          await expectInvalid(spec);
        },
      ),
      { numRuns: 60, seed: SEED },
    );
  });

  test('invalid Secrets: InvalidArgument, never the key in the message, no CreateServer', async () => {
    const key = JSON.parse(env.keyJson);
    const privateKey: string = key.credentials.privateKey;
    const keyBody = privateKey.split('\n').filter((l) => l && !l.startsWith('-----'))[2] ?? '';
    const badSecret = fc.oneof(
      fc.constant({ projectId: 'not-a-uuid' }),
      fc.constant({ projectId: '' }),
      notUuid.map((projectId) => ({ projectId })),
      fc.constant({ serviceAccountKey: '{not json' }),
      fc.constant({
        serviceAccountKey: JSON.stringify({ ...key, credentials: { ...key.credentials, kid: 7 } }),
      }),
      fc.constant({ serviceAccountKey: JSON.stringify({ ...key, credentials: undefined }) }),
      fc.constant({
        serviceAccountKey: JSON.stringify({
          ...key,
          credentials: { ...key.credentials, privateKey: privateKey.slice(0, 200) },
        }),
      }),
      fc.constant({ serviceAccountKey: '' }),
      fc.constantFrom('EU01', 'nowhere 1', '1').map((region) => ({ region })),
      notUuid.filter((s) => s !== '').map((networkId) => ({ networkId })),
    );
    await fc.assert(
      fc.asyncProperty(badSecret, async (extra) => {
        const err = await expectInvalid(
          minimalSpec(env, { networking: { networkId: env.sim.defaults.networkId } }),
          secretFor(env, extra),
        );
        assert.ok(!err.message.includes(keyBody), 'the private key never appears in an error');
        assert.match(err.message, /secret|Secret|serviceAccountKey|projectId|region|networkId/);
      }),
      { numRuns: 40, seed: SEED },
    );
  });

  for (const kind of ['invalid-json', 'missing-required', 'unknown-status'] as const) {
    test(`malformed API answers (${kind}): Unavailable with a clear message, then recovery`, async () => {
      env.sim.setFaults({
        operations: {
          ListServers: { malformedRate: 1, malformedKind: kind },
          GetServer: { malformedRate: 1, malformedKind: kind },
          CreateServer: { malformedRate: 1, malformedKind: kind },
        },
      });
      const name = `malformed-${kind}`;
      const req = request(
        env,
        name,
        minimalSpec(env, { networking: { networkId: env.sim.defaults.networkId } }),
      );
      const errors: MachineError[] = [];
      for (let i = 0; i < 3; i++) {
        for (const call of [
          () => env.driver.getMachineStatus(req, ctx()),
          () => env.driver.createMachine(req, ctx()),
        ]) {
          try {
            await call();
          } catch (e) {
            assert.ok(e instanceof MachineError, `a MachineError, not ${String(e)}`);
            errors.push(e);
          }
        }
      }
      assert.ok(errors.length > 0);
      for (const e of errors) {
        assert.notEqual(e.code, 13 /* Internal */, `not Internal: ${e.message}`);
        assert.match(e.message, new RegExp(name));
      }
      assert.ok(
        errors.some(
          (e) =>
            (e.code === UNAVAILABLE && /spec|malformed|unexpected|response/i.test(e.message)) ||
            // A server whose status the spec does not list: named as such, waited on, never a failure.
            (e.code === 17 /* Uninitialized */ &&
              /status the STACKIT IaaS API does not define/.test(e.message)),
        ),
        `one error says the answer was malformed: ${errors.map((e) => `${e.code} ${e.message}`).join(' | ')}`,
      );
      env.sim.setFaults({});
      // Recovery: MCM's create flow ends with exactly one server for the Machine.
      const { mcmCreate, mcmDelete, withProviderId } = await import('../driver/helpers.ts');
      const done = await mcmCreate(env, req);
      const mine = env.sim.servers().filter((s) => s.name === name);
      assert.equal(mine.length, 1, `exactly one server for ${name}, got ${mine.length}`);
      await mcmDelete(env, withProviderId(req, done.providerId));
    });
  }

  test('no-auth mode is refused against a *.stackit.cloud endpoint, before any request', async () => {
    for (const endpoint of ['https://iaas.api.stackit.cloud', 'https://iaas.api.eu01.stackit.cloud/v2']) {
      const driver = createStackitDriver({
        log: silent,
        env: { STACKIT_IAAS_ENDPOINT: endpoint, STACKIT_NO_AUTH: 'true' },
      });
      const req = request(
        env,
        'no-auth',
        minimalSpec(env, { networking: { networkId: env.sim.defaults.networkId } }),
      );
      for (const call of [
        () => driver.createMachine(req, ctx()),
        () => driver.getMachineStatus(req, ctx()),
        () => driver.deleteMachine(req, ctx()),
      ]) {
        let err: unknown;
        try {
          await call();
        } catch (e) {
          err = e;
        }
        assert.ok(err instanceof MachineError, String(err));
        assert.equal(err.code, INVALID_ARGUMENT, err.message);
        assert.match(err.message, /STACKIT_NO_AUTH/);
        assert.match(err.message, /stackit\.cloud/);
      }
    }
    // The same setting against the simulator is accepted (simulators and test endpoints only).
    const ok = createStackitDriver({
      log: silent,
      env: { STACKIT_IAAS_ENDPOINT: env.sim.url, STACKIT_NO_AUTH: 'false' },
      inventoryMaxAgeMs: 0,
    });
    const req = request(
      env,
      'auth-ok',
      minimalSpec(env, { networking: { networkId: env.sim.defaults.networkId } }),
    );
    assert.equal(await codeOf(ok.getMachineStatus(req, ctx())), 5 /* NotFound */);
  });
});
