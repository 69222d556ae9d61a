import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, importPKCS8, SignJWT } from 'jose';
import type { RunningSimulator, ServiceAccountKey } from '../../src/simulator/index.ts';
import { admin, call, projectPath, start } from './helpers.ts';

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Signs the assertion the way the STACKIT SDK's key flow does (RS512, kid header). */
async function assertion(
  key: ServiceAccountKey,
  privateKeyPem: string,
  over: { exp?: number; aud?: string } = {},
) {
  const pk = await importPKCS8(privateKeyPem, 'RS512');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS512', kid: key.credentials.kid, typ: 'JWT' })
    .setIssuer(key.credentials.iss)
    .setSubject(key.credentials.sub)
    .setAudience(over.aud ?? key.credentials.aud)
    .setIssuedAt(now)
    .setExpirationTime(over.exp ?? now + 3600)
    .sign(pk);
}

async function token(sim: RunningSimulator, form: Record<string, string>) {
  const res = await fetch(sim.tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('authentication', () => {
  let sim: RunningSimulator;
  let key: ServiceAccountKey;
  before(async () => {
    sim = await start({ noAuth: false, tokenTtlSeconds: 2 });
    key = await sim.createServiceAccountKey({ name: 'machine-controller' });
  });
  after(() => sim.close());

  test('the admin API hands out a service-account key shaped like the portal’s', async () => {
    const r = await admin<ServiceAccountKey>(sim, 'POST', '/service-account-keys', { name: 'portal-like' });
    assert.equal(r.status, 201);
    const k = r.body;
    assert.match(k.id, /^[0-9a-f-]{36}$/);
    assert.equal(k.keyType, 'USER_MANAGED');
    assert.equal(k.keyOrigin, 'GENERATED');
    assert.equal(k.keyAlgorithm, 'RSA_2048');
    assert.equal(k.active, true);
    assert.ok(Date.parse(k.createdAt) < Date.parse(k.validUntil));
    assert.match(k.publicKey, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(k.credentials.iss, 'portal-like@sa.stackit.cloud');
    assert.match(k.credentials.sub, /^[0-9a-f-]{36}$/);
    assert.equal(k.credentials.kid, k.id);
    assert.ok(k.credentials.aud.length > 0);
    // A usable PKCS#8 RSA key, matching the public key handed out with it.
    const privateKey = createPrivateKey(k.credentials.privateKey ?? '');
    assert.equal(privateKey.asymmetricKeyType, 'rsa');
    assert.equal(
      String(privateKey.export({ type: 'pkcs8', format: 'pem' })).trim(),
      k.credentials.privateKey?.trim(),
      'PEM-encoded PKCS#8, as the portal hands it out',
    );
    assert.equal(
      createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
      createPublicKey(k.publicKey).export({ type: 'spki', format: 'pem' }).toString(),
    );
    assert.equal(k.credentials.tokenEndpoint, sim.tokenUrl);
  });

  test('a correctly signed assertion gets a bearer JWT with exp; the token opens the API', async () => {
    const t = await token(sim, {
      grant_type: GRANT,
      assertion: await assertion(key, key.credentials.privateKey!),
    });
    assert.equal(t.status, 200);
    assert.equal(t.body.token_type, 'Bearer');
    assert.equal(t.body.expires_in, 2);
    assert.equal(typeof t.body.refresh_token, 'string');
    assert.equal(typeof t.body.scope, 'string');
    const claims = decodeJwt(String(t.body.access_token));
    assert.ok(typeof claims.exp === 'number' && claims.exp > Date.now() / 1000);
    const r = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`, {
      token: String(t.body.access_token),
    });
    assert.equal(r.status, 200);
  });

  test('assertions with a wrong signature, unknown kid, wrong audience or past exp are refused', async () => {
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const forged = await token(sim, { grant_type: GRANT, assertion: await assertion(key, other) });
    assert.equal(forged.status, 400);
    assert.equal(forged.body.error, 'invalid_grant');
    assert.match(String(forged.body.error_description), /signature/);

    const unknown = await token(sim, {
      grant_type: GRANT,
      assertion: await assertion(
        { ...key, credentials: { ...key.credentials, kid: randomUUID() } },
        key.credentials.privateKey!,
      ),
    });
    assert.equal(unknown.status, 400);

    const aud = await token(sim, {
      grant_type: GRANT,
      assertion: await assertion(key, key.credentials.privateKey!, { aud: 'x' }),
    });
    assert.equal(aud.status, 400);
    const expired = await token(sim, {
      grant_type: GRANT,
      assertion: await assertion(key, key.credentials.privateKey!, {
        exp: Math.floor(Date.now() / 1000) - 600,
      }),
    });
    assert.equal(expired.status, 400);
    assert.match(String(expired.body.error_description), /expired/);

    const grant = await token(sim, { grant_type: 'password', assertion: 'x' });
    assert.equal(grant.body.error, 'unsupported_grant_type');
  });

  test('the refresh-token grant issues a new access token', async () => {
    const t = await token(sim, {
      grant_type: GRANT,
      assertion: await assertion(key, key.credentials.privateKey!),
    });
    const r = await token(sim, { grant_type: 'refresh_token', refresh_token: String(t.body.refresh_token) });
    assert.equal(r.status, 200);
    const ok = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`, {
      token: String(r.body.access_token),
    });
    assert.equal(ok.status, 200);
    // A refresh token is not an access token.
    const no = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`, {
      token: String(t.body.refresh_token),
    });
    assert.equal(no.status, 401);
  });

  test('missing, malformed, forged and expired bearer tokens are 401 {code, msg}', async () => {
    const path = `${projectPath(sim)}/servers`;
    const missing = await call(sim, 'ListServers', 'GET', path);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.code, 401);
    assert.match(missing.body.msg, /missing bearer token/);

    const garbage = await call(sim, 'ListServers', 'GET', path, { token: 'not-a-jwt' });
    assert.equal(garbage.status, 401);

    const good = await sim.mintAccessToken(key.credentials.kid);
    const [h, p] = good.split('.');
    const forged = await call(sim, 'ListServers', 'GET', path, { token: `${h}.${p}.AAAA` });
    assert.equal(forged.status, 401);
    assert.ok(!forged.body.msg.includes(good), 'msg never echoes the token');

    const short = await sim.mintAccessToken(key.credentials.kid, 1);
    assert.equal((await call(sim, 'ListServers', 'GET', path, { token: short })).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await call(sim, 'ListServers', 'GET', path, { token: short });
    assert.equal(expired.status, 401);
    assert.match(expired.body.msg, /expired/);

    for (const p2 of ['/v2/keypairs', '/v2/regions/eu01/availability-zones']) {
      const op = p2.includes('keypairs') ? 'ListKeyPairs' : 'ListAvailabilityZones';
      assert.equal((await call(sim, op, 'GET', p2)).status, 401);
    }
  });

  test('an existing public key can be registered; its holder gets tokens', async () => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pub = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const priv = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const k = await sim.createServiceAccountKey({ name: 'own-key', publicKey: pub });
    assert.equal(k.keyOrigin, 'USER_PROVIDED');
    assert.equal(k.credentials.privateKey, undefined);
    const t = await token(sim, { grant_type: GRANT, assertion: await assertion(k, priv) });
    assert.equal(t.status, 200);
  });

  test('a key limited to one project gets 403 on another', async () => {
    const other = sim.addProject();
    const k = await sim.createServiceAccountKey({ name: 'scoped', projectIds: [other.id] });
    const tok = await sim.mintAccessToken(k.credentials.kid);
    assert.equal(
      (await call(sim, 'ListServers', 'GET', `${projectPath(sim, other.id)}/servers`, { token: tok })).status,
      200,
    );
    const denied = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`, { token: tok });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.code, 403);
  });

  test('the admin API needs no token and is never counted', async () => {
    sim.resetCounters();
    assert.equal((await admin(sim, 'GET', '/healthz')).status, 200);
    assert.equal((await admin(sim, 'GET', '/servers')).status, 200);
    assert.equal(sim.counters().total, 0);
  });
});
