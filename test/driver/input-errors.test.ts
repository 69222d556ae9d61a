// Bad input is reported on the object to fix: Secret problems name the referenced Secret(s) and
// the key, a missing Secret says so, class problems name the class. Parsing each content once must
// not blur what differs per Machine (MCM's per-Machine bootstrap token in userData) or per rotation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Code } from '../../src/mcm/codes.ts';
import {
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

describe('driver: errors name the object to fix', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(() => env.close());

  const withRefs = (req: ReturnType<typeof request>) => {
    Object.assign(req.machineClass, {
      credentialsSecretRef: { name: 'cloudprovider', namespace: 'shoot--test' },
      secretRef: { name: 'shoot--test-worker', namespace: 'shoot--test' },
    });
    return req;
  };

  test('a credentialsSecretRef to a Secret that does not exist is reported as missing, by name', async () => {
    // MCM passes what the existing Secret (secretRef: userData) holds and nothing for the missing one.
    const req = withRefs(
      request(env, 'no-secret', minimalSpec(env), { secret: { userData: Buffer.from('#cloud-config\n') } }),
    );
    const e = await errorOf(env.driver.createMachine(req, ctx()));
    assert.equal(e.code, Code.InvalidArgument);
    assert.match(
      e.message,
      /credentialsSecretRef shoot--test\/cloudprovider and secretRef shoot--test\/shoot--test-worker/,
    );
    assert.match(
      e.message,
      /is missing or empty: it has none of the keys projectId, project-id, serviceAccountKey/,
    );
    assert.match(e.message, /\(it has no keys\)/, 'userData is MCM’s, not a sign of the credentials Secret');
    assert.doesNotMatch(e.message, /machine class \S+ is invalid/, 'the class is fine');
    assert.equal(env.sim.servers().length, 0);
  });

  test('a bad value names the Secret and the key, never the value of a credential', async () => {
    const secret = secretFor(env, { projectId: 'not-a-uuid' });
    const req = withRefs(request(env, 'bad-secret', minimalSpec(env), { secret }));
    const e = await errorOf(env.driver.createMachine(req, ctx()));
    assert.equal(e.code, Code.InvalidArgument);
    assert.match(
      e.message,
      /the Secret of machine class shoot--test\/class-a \(credentialsSecretRef shoot--test\/cloudprovider/,
    );
    assert.match(e.message, /is invalid \(1 problem\): secret\.projectId: must be the project UUID/);
    assert.doesNotMatch(e.message, /PRIVATE KEY|"credentials"/);
  });

  test('a misspelt Secret key is named with the key it probably meant', async () => {
    const secret = secretFor(env);
    secret.serviceAccountkey = secret.serviceAccountKey as Buffer;
    delete secret.serviceAccountKey;
    const req = withRefs(request(env, 'typo-secret', minimalSpec(env), { secret }));
    const e = await errorOf(env.driver.createMachine(req, ctx()));
    assert.equal(e.code, Code.InvalidArgument);
    assert.match(
      e.message,
      /the Secret of machine class shoot--test\/class-a \(credentialsSecretRef shoot--test\/cloudprovider/,
    );
    assert.match(e.message, /secret\.serviceAccountKey: is required/);
    assert.match(
      e.message,
      /secret\.serviceAccountkey: is not a key this provider reads, ignored; did you mean serviceAccountKey\?/,
    );
    assert.doesNotMatch(e.message, /PRIVATE KEY|"credentials"/);
    assert.equal(env.sim.servers().length, 0);
  });

  test('a providerSpec problem names the class (namespace/name) and not the Secret', async () => {
    const req = withRefs(request(env, 'bad-class', minimalSpec(env, { machineType: '' })));
    const e = await errorOf(env.driver.createMachine(req, ctx()));
    assert.equal(e.code, Code.InvalidArgument);
    assert.match(
      e.message,
      /machine class shoot--test\/class-a is invalid \(1 problem\): providerSpec\.machineType/,
    );
    assert.doesNotMatch(e.message, /Secret/);
  });

  test('a Secret fixed after an error works on the next call', async () => {
    const req = request(env, 'fixed-secret', minimalSpec(env), {
      secret: secretFor(env, { projectId: 'not-a-uuid' }),
    });
    assert.equal((await errorOf(env.driver.createMachine(req, ctx()))).code, Code.InvalidArgument);
    const fixed = { ...req, secret: secretFor(env) };
    const { providerId } = await mcmCreate(env, fixed);
    await mcmDelete(env, withProviderId(fixed, providerId));
  });

  test('each Machine gets its own userData although the Secret is parsed once', async () => {
    const ids: string[] = [];
    for (const token of ['token-a', 'token-b']) {
      const req = request(env, `ud-${token}`, minimalSpec(env), {
        secret: secretFor(env, { userData: `#cloud-config\nbootstrap: ${token}\n` }),
      });
      const { providerId } = await mcmCreate(env, req);
      ids.push(providerId);
      const s = env.sim.servers().find((x) => providerId.endsWith(x.id))!;
      assert.equal(
        Buffer.from(String(s.userData), 'base64').toString(),
        `#cloud-config\nbootstrap: ${token}\n`,
      );
      await mcmDelete(env, withProviderId(req, providerId));
    }
    assert.notEqual(ids[0], ids[1]);
  });
});
