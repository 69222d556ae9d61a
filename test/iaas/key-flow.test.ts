import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  defaultTokenUrl,
  KeyFlowTokenSource,
  parseServiceAccountKey,
  resolveTokenUrl,
} from '../../src/iaas/index.ts';
import { json, makeKey, startServer, startTokenEndpoint, withServers } from './helpers.ts';

describe('service-account key flow', () => {
  test('trades a signed RS512 assertion for an access token and reuses it', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key);
    await withServers([ep], async () => {
      const src = new KeyFlowTokenSource({ key: parseServiceAccountKey(key.json), tokenUrl: ep.tokenUrl });
      const t1 = await src.getToken();
      const t2 = await src.getToken();
      assert.equal(t1, ep.issued[0]);
      assert.equal(t2, t1);
      assert.equal(ep.requests.length, 1);
      assert.deepEqual(ep.rejected, []);
    });
  });

  test('concurrent callers share one token request', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key, { delayMs: 150 });
    await withServers([ep], async () => {
      const src = new KeyFlowTokenSource({ key: parseServiceAccountKey(key.json), tokenUrl: ep.tokenUrl });
      const tokens = await Promise.all(Array.from({ length: 20 }, () => src.getToken()));
      assert.equal(ep.requests.length, 1);
      assert.ok(tokens.every((t) => t === ep.issued[0]));
    });
  });

  test('refreshes shortly before the access token expires, once for concurrent callers', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key, { ttlSeconds: 3600, delayMs: 50 });
    await withServers([ep], async () => {
      let offsetMs = 0;
      const src = new KeyFlowTokenSource({
        key: parseServiceAccountKey(key.json),
        tokenUrl: ep.tokenUrl,
        leewaySeconds: 30,
        now: () => Date.now() + offsetMs,
      });
      const first = await src.getToken();
      offsetMs = (3600 - 60) * 1000; // well before exp - leeway: still cached
      assert.equal(await src.getToken(), first);
      assert.equal(ep.requests.length, 1);
      offsetMs = (3600 - 20) * 1000; // inside the leeway: refresh
      const again = await Promise.all([src.getToken(), src.getToken(), src.getToken()]);
      assert.equal(ep.requests.length, 2);
      assert.ok(again.every((t) => t === ep.issued[1]));
      assert.notEqual(again[0], first);
    });
  });

  test('a short-lived token is refreshed before it runs out (leeway capped at half its lifetime)', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key, { ttlSeconds: 2 });
    await withServers([ep], async () => {
      const src = new KeyFlowTokenSource({ key: parseServiceAccountKey(key.json), tokenUrl: ep.tokenUrl });
      const first = await src.getToken();
      assert.equal(await src.getToken(), first, 'reused right away');
      await new Promise((r) => setTimeout(r, 1100));
      const second = await src.getToken();
      assert.notEqual(second, first);
      assert.equal(ep.requests.length, 2);
    });
  });

  test('a failed token request is not cached: the next call asks again', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key, { failWith: (n) => (n === 1 ? 503 : undefined) });
    await withServers([ep], async () => {
      const src = new KeyFlowTokenSource({ key: parseServiceAccountKey(key.json), tokenUrl: ep.tokenUrl });
      await assert.rejects(src.getToken(), (e: Error & { status?: number; retryable?: boolean }) => {
        assert.equal(e.status, 503);
        assert.equal(e.retryable, true);
        return true;
      });
      assert.equal(await src.getToken(), ep.issued[0]);
      assert.equal(ep.requests.length, 2);
    });
  });

  test('a refused assertion is not retryable and its error carries no secret', async () => {
    const key = makeKey();
    const other = makeKey(); // the endpoint knows another public key
    const ep = await startTokenEndpoint({
      ...other,
      json: { ...other.json, credentials: key.json.credentials },
    });
    await withServers([ep], async () => {
      const src = new KeyFlowTokenSource({ key: parseServiceAccountKey(key.json), tokenUrl: ep.tokenUrl });
      await assert.rejects(src.getToken(), (e: Error & { status?: number; retryable?: boolean }) => {
        assert.equal(e.status, 401);
        assert.equal(e.retryable, false);
        assert.match(e.message, /invalid_grant/);
        assert.ok(!e.message.includes('BEGIN'));
        assert.ok(!/eyJ/.test(e.message), 'no JWT in the message');
        return true;
      });
      assert.equal(ep.rejected.length, 1);
    });
  });

  test('a token response without access_token or expiry is refused', async () => {
    const key = makeKey();
    let body: Record<string, unknown> = { token_type: 'Bearer' };
    const srv = await startServer((_req, res) => json(res, 200, body));
    await withServers([srv], async () => {
      const src = new KeyFlowTokenSource({
        key: parseServiceAccountKey(key.json),
        tokenUrl: `${srv.url}/token`,
      });
      await assert.rejects(src.getToken(), /no `access_token`/);
      body = { access_token: 'opaque-token-value' };
      await assert.rejects(src.getToken(), (e: Error) => {
        assert.match(e.message, /neither a JWT `exp` nor `expires_in`/);
        assert.ok(!e.message.includes('opaque-token-value'));
        return true;
      });
      body = { access_token: 'opaque-token-value', expires_in: 600 };
      assert.equal(
        await src.getToken(),
        'opaque-token-value',
        'expires_in is the fallback for non-JWT tokens',
      );
    });
  });

  test('token URL precedence: explicit, then the key, then the STACKIT default', async () => {
    const withEndpoint = parseServiceAccountKey(makeKey({ tokenEndpoint: 'http://from-key/token' }).json);
    const without = parseServiceAccountKey(makeKey().json);
    assert.equal(resolveTokenUrl(withEndpoint, 'http://explicit/token'), 'http://explicit/token');
    assert.equal(resolveTokenUrl(withEndpoint), 'http://from-key/token');
    assert.equal(resolveTokenUrl(without), defaultTokenUrl);
    assert.equal(defaultTokenUrl, 'https://service-account.api.stackit.cloud/token');

    const key = makeKey();
    const ep = await startTokenEndpoint(key);
    await withServers([ep], async () => {
      const keyed = structuredClone(key.json);
      keyed.credentials.tokenEndpoint = ep.tokenUrl;
      const src = new KeyFlowTokenSource({ key: parseServiceAccountKey(keyed) });
      assert.equal(src.tokenUrl, ep.tokenUrl);
      assert.equal(await src.getToken(), ep.issued[0]);
    });
  });

  test('a caller deadline ends its wait, but the shared request still serves the others', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key, { delayMs: 300 });
    await withServers([ep], async () => {
      const src = new KeyFlowTokenSource({ key: parseServiceAccountKey(key.json), tokenUrl: ep.tokenUrl });
      const patient = src.getToken();
      await assert.rejects(src.getToken({ deadline: Date.now() + 50 }), /deadline passed/);
      assert.equal(await patient, ep.issued[0]);
      assert.equal(ep.requests.length, 1);
    });
  });
});
