import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createIaasClient,
  IaasApiError,
  type IaasAuth,
  type IaasClientConfig,
  IaasConfigError,
  type IaasRequestEvent,
} from '../../src/iaas/index.ts';
import {
  json,
  makeKey,
  projectId,
  region,
  serverBody,
  serverPath,
  startServer,
  startTokenEndpoint,
  withServers,
} from './helpers.ts';

const sid = '0b7f1c38-6c25-4a8b-9d0e-2f1a3b4c5d6e';
const fast = { baseDelayMs: 10, maxDelayMs: 40 };

function client(url: string, over: Partial<IaasClientConfig> = {}, events: IaasRequestEvent[] = []) {
  return createIaasClient({
    endpoint: url,
    projectId,
    region,
    auth: { type: 'none' },
    retry: fast,
    onRequest: (e) => events.push(e),
    ...over,
  });
}

async function apiError(p: Promise<unknown>): Promise<IaasApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof IaasApiError, `expected IaasApiError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the call to fail');
}

describe('IaaS client: requests', () => {
  test('GetServer hits the v2 path with details=false and returns the server', async () => {
    const srv = await startServer((_req, res) => json(res, 200, serverBody()));
    await withServers([srv], async () => {
      const s = await client(srv.url).getServer(sid);
      assert.equal(s.id, sid);
      assert.equal(s.status, 'ACTIVE');
      assert.equal(s.labels?.['kubernetes.io/machine'], 'machine-1');
      const [req] = srv.requests;
      assert.equal(req?.method, 'GET');
      assert.equal(req?.path, serverPath(sid));
      assert.equal(req?.query.get('details'), 'false');
      assert.equal(req?.headers.authorization, undefined, 'no-auth sends no Authorization header');
    });
  });

  test('ListServers passes the label selector and details, and returns the items', async () => {
    const srv = await startServer((_req, res) =>
      json(res, 200, { items: [serverBody(), serverBody({ id: 'a0000000-0000-4000-8000-000000000000' })] }),
    );
    await withServers([srv], async () => {
      const list = await client(srv.url).listServers({
        labelSelector: 'kubernetes.io/machineclass=c1,x=y',
        details: true,
      });
      assert.equal(list.length, 2);
      const req = srv.requests[0]!;
      assert.equal(req.path, `/v2/projects/${projectId}/regions/${region}/servers`);
      assert.equal(req.query.get('label_selector'), 'kubernetes.io/machineclass=c1,x=y');
      assert.equal(req.query.get('details'), 'true');
    });
  });

  test('CreateServer POSTs the payload; UpdateNic PATCHes allowedAddresses', async () => {
    const srv = await startServer((req, res) => {
      if (req.method === 'POST')
        json(res, 201, { ...serverBody({ status: 'CREATING' }), ...JSON.parse(req.body) });
      else
        json(res, 200, {
          id: 'n1',
          networkId: 'net1',
          allowedAddresses: JSON.parse(req.body).allowedAddresses,
        });
    });
    await withServers([srv], async () => {
      const c = client(srv.url);
      const created = await c.createServer({
        name: 'machine-1',
        machineType: 'c2i.2',
        networking: { networkId: 'f0000000-0000-4000-8000-000000000000' },
        labels: { 'kubernetes.io/machine': 'machine-1' },
        userData: Buffer.from('#cloud-config').toString('base64'),
      });
      assert.equal(created.status, 'CREATING');
      const post = srv.requests[0]!;
      assert.equal(post.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(post.body).networking, {
        networkId: 'f0000000-0000-4000-8000-000000000000',
      });

      const nic = await c.updateNic('net1', 'n1', { allowedAddresses: ['10.96.0.0/11'] });
      assert.deepEqual(nic.allowedAddresses, ['10.96.0.0/11']);
      const patch = srv.requests[1]!;
      assert.equal(patch.method, 'PATCH');
      assert.equal(patch.path, `/v2/projects/${projectId}/regions/${region}/networks/net1/nics/n1`);
    });
  });

  test('keypairs are per user and zones per region: no project in those paths', async () => {
    const srv = await startServer((req, res) => {
      if (req.path === '/v2/keypairs')
        json(res, 200, { items: [{ name: 'k1', publicKey: 'ssh-ed25519 AAAA' }] });
      else if (req.path === '/v2/keypairs/k1') json(res, 200, { name: 'k1' });
      else if (req.path === `/v2/regions/${region}/availability-zones`)
        json(res, 200, { items: ['eu01-1', 'eu01-m'] });
      else json(res, 404, { code: 404, msg: 'not found' });
    });
    await withServers([srv], async () => {
      const c = client(srv.url);
      assert.deepEqual(
        (await c.listKeyPairs()).map((k) => k.name),
        ['k1'],
      );
      assert.equal((await c.getKeyPair('k1')).name, 'k1');
      assert.deepEqual(await c.listAvailabilityZones(), ['eu01-1', 'eu01-m']);
    });
  });

  test('a static token is sent as a bearer token', async () => {
    const srv = await startServer((_req, res) => json(res, 200, { items: [] }));
    await withServers([srv], async () => {
      await client(srv.url, { auth: { type: 'token', token: 'static-token-1' } }).listMachineTypes();
      assert.equal(srv.requests[0]?.headers.authorization, 'Bearer static-token-1');
    });
  });

  test('key-flow auth: the API sees the issued token; a 401 drops it so the next call fetches a new one', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key);
    let refuseNext = false;
    const api = await startServer((req, res) => {
      const ok = ep.issued.some((t) => req.headers.authorization === `Bearer ${t}`);
      if (!ok || refuseNext) {
        refuseNext = false;
        json(res, 401, { code: 401, msg: 'unauthorized' });
      } else json(res, 200, serverBody());
    });
    await withServers([ep, api], async () => {
      const auth: IaasAuth = {
        type: 'service-account-key',
        key: JSON.stringify(key.json),
        tokenUrl: ep.tokenUrl,
      };
      const c = client(api.url, { auth });
      await c.getServer(sid);
      await c.getServer(sid);
      assert.equal(ep.requests.length, 1, 'token reused');
      refuseNext = true;
      const e = await apiError(c.getServer(sid));
      assert.equal(e.status, 401);
      assert.equal(e.retryable, false);
      await c.getServer(sid);
      assert.equal(ep.requests.length, 2, 'a new token after the 401');
    });
  });

  test('a token endpoint failure is an auth error of the IaaS operation', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key, { failWith: () => 400 });
    const api = await startServer((_req, res) => json(res, 200, serverBody()));
    await withServers([ep, api], async () => {
      const c = client(api.url, {
        auth: { type: 'service-account-key', key: key.json, tokenUrl: ep.tokenUrl },
      });
      const e = await apiError(c.getServer(sid));
      assert.equal(e.kind, 'auth');
      assert.equal(e.operation, 'GetServer');
      assert.equal(e.status, 400);
      assert.equal(e.retryable, false);
      assert.equal(api.requests.length, 0);
    });
  });
});

describe('IaaS client: configuration', () => {
  test('no-auth is refused for a stackit.cloud endpoint', () => {
    assert.throws(
      () =>
        createIaasClient({
          endpoint: 'https://iaas.api.stackit.cloud',
          projectId,
          region,
          auth: { type: 'none' },
        }),
      (e: unknown) => e instanceof IaasConfigError && e.fields.includes('auth'),
    );
  });

  test('project id and region are checked before any request', () => {
    assert.throws(
      () =>
        createIaasClient({
          endpoint: 'http://127.0.0.1:1',
          projectId: 'p1',
          region: 'EU 01',
          auth: { type: 'none' },
        }),
      (e: unknown) =>
        e instanceof IaasConfigError && e.fields.includes('projectId') && e.fields.includes('region'),
    );
  });

  test('an id that would climb out of its path segment is refused', async () => {
    const c = client('http://127.0.0.1:1');
    await assert.rejects(c.getServer('..'), IaasConfigError);
    await assert.rejects(c.getServer(''), IaasConfigError);
  });
});

describe('IaaS client: malformed responses', () => {
  test('a server without id is a typed error naming the field, not a crash, and not retried', async () => {
    const srv = await startServer((_req, res) =>
      json(res, 200, { ...serverBody({ id: undefined }), userData: 'c2VjcmV0LXVzZXItZGF0YQ==' }),
    );
    await withServers([srv], async () => {
      const e = await apiError(client(srv.url).getServer(sid, { details: true }));
      assert.equal(e.kind, 'malformed-response');
      assert.match(e.message, /^GetServer returned a server without `id`/);
      assert.equal(e.retryable, false);
      assert.equal(srv.requests.length, 1);
      assert.ok(!e.message.includes('c2VjcmV0LXVzZXItZGF0YQ=='), 'user data stays out of the message');
    });
  });

  test('a bad list item is located by index; wrong types are named', async () => {
    let body: unknown = { items: [serverBody(), serverBody({ status: 7 })] };
    const srv = await startServer((_req, res) => json(res, 200, body));
    await withServers([srv], async () => {
      const c = client(srv.url);
      const e1 = await apiError(c.listServers());
      assert.match(
        e1.message,
        /ListServers returned a server with an invalid `status` \(items\[1\]\) \(expected string\)/,
      );
      body = { servers: [] };
      assert.match((await apiError(c.listServers())).message, /ListServers returned a body without `items`/);
      body = { items: [serverBody({ nics: [{ networkId: 'n' }] })] };
      assert.match((await apiError(c.listServers())).message, /without `nics\[0\]\.nicId` \(items\[0\]\)/);
      body = { items: [serverBody({ labels: { a: 1 } })] };
      assert.match((await apiError(c.listServers())).message, /invalid `labels\.a`/);
    });
  });

  test('a 200 whose body is not JSON is a malformed response', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "abc", "name": ');
    });
    await withServers([srv], async () => {
      const e = await apiError(client(srv.url).getServer(sid));
      assert.equal(e.kind, 'malformed-response');
      assert.equal(e.status, 200);
      assert.match(e.message, /not JSON/);
    });
  });
});

describe('IaaS client: errors and retries', () => {
  test('5xx on a GET is retried with backoff, one event per attempt', async () => {
    let n = 0;
    const srv = await startServer((_req, res) =>
      ++n < 3 ? json(res, 503, { code: 503, msg: 'unavailable' }) : json(res, 200, serverBody()),
    );
    await withServers([srv], async () => {
      const events: IaasRequestEvent[] = [];
      await client(srv.url, {}, events).getServer(sid);
      assert.equal(srv.requests.length, 3);
      assert.deepEqual(
        events.map((e) => [e.operation, e.method, e.attempt, e.retried, e.status, e.error]),
        [
          ['GetServer', 'GET', 1, false, 503, 'http'],
          ['GetServer', 'GET', 2, true, 503, 'http'],
          ['GetServer', 'GET', 3, true, 200, undefined],
        ],
      );
      assert.ok(events.every((e) => e.durationMs >= 0));
    });
  });

  test('when retries run out the last error carries status, body, request id and attempts', async () => {
    const srv = await startServer((_req, res) =>
      json(res, 500, { code: 500, msg: 'internal server error' }, { 'x-request-id': 'req-42' }),
    );
    await withServers([srv], async () => {
      const e = await apiError(client(srv.url, { retry: { ...fast, maxAttempts: 3 } }).listServers());
      assert.equal(e.kind, 'http');
      assert.equal(e.status, 500);
      assert.deepEqual(e.body, { code: 500, msg: 'internal server error' });
      assert.equal(e.requestId, 'req-42');
      assert.equal(e.attempts, 3);
      assert.equal(e.retryable, true);
      assert.equal(e.operation, 'ListServers');
      assert.match(
        e.message,
        /ListServers: HTTP error, HTTP 500, internal server error \(code 500\), request id req-42/,
      );
    });
  });

  test('CreateServer is never retried; the error says it was a POST whose outcome is unknown', async () => {
    const srv = await startServer((_req, res) => json(res, 502, { code: 502, msg: 'bad gateway' }));
    await withServers([srv], async () => {
      const e = await apiError(
        client(srv.url).createServer({ name: 'm', machineType: 'c2i.2', networking: { networkId: 'n' } }),
      );
      assert.equal(srv.requests.length, 1);
      assert.equal(e.method, 'POST');
      assert.equal(e.idempotent, false);
      assert.equal(e.retryable, true);
      assert.equal(e.outcomeUnknown, true);
    });
  });

  test('4xx is final: 404 is notFound, 400 keeps the API message', async () => {
    const srv = await startServer((req, res) =>
      req.path.endsWith('/images/x9.9')
        ? json(res, 400, { code: 400, msg: 'image is not valid' })
        : json(res, 404, { code: 404, msg: 'server not found' }),
    );
    await withServers([srv], async () => {
      const c = client(srv.url);
      const nf = await apiError(c.getServer(sid));
      assert.equal(nf.notFound, true);
      assert.equal(nf.retryable, false);
      const bad = await apiError(c.getImage('x9.9'));
      assert.equal(bad.status, 400);
      assert.equal(bad.body?.msg, 'image is not valid');
      assert.equal(srv.requests.length, 2);
    });
  });

  test('409 is retryable for the caller but not repeated by the client', async () => {
    const srv = await startServer((_req, res) => json(res, 409, { code: 409, msg: 'Conflict' }));
    await withServers([srv], async () => {
      const e = await apiError(client(srv.url).updateNic('net', 'nic', { allowedAddresses: [] }));
      assert.equal(e.status, 409);
      assert.equal(e.retryable, true);
      assert.equal(srv.requests.length, 1);
    });
  });

  test('DELETE answered 204 resolves; a 404 after a retried DELETE is reported as such', async () => {
    let n = 0;
    const srv = await startServer((_req, res) => {
      n++;
      if (n === 1) {
        res.writeHead(204);
        res.end();
      } else if (n === 2) json(res, 503, { code: 503, msg: 'try again' });
      else json(res, 404, { code: 404, msg: 'server not found' });
    });
    await withServers([srv], async () => {
      const c = client(srv.url);
      await c.deleteServer(sid);
      const e = await apiError(c.deleteServer(sid));
      assert.equal(e.notFound, true);
      assert.equal(e.attempts, 2);
      assert.match(e.message, /earlier attempt of this call may have deleted it/);
    });
  });

  test('429 waits for Retry-After seconds before the next attempt', async () => {
    let n = 0;
    const srv = await startServer((_req, res) =>
      ++n === 1
        ? json(res, 429, { code: 429, msg: 'Too Many Requests' }, { 'retry-after': '1' })
        : json(res, 200, { items: [] }),
    );
    await withServers([srv], async () => {
      const events: IaasRequestEvent[] = [];
      await client(srv.url, {}, events).listNetworks();
      assert.equal(srv.requests.length, 2);
      const gap = srv.requests[1]!.at - srv.requests[0]!.at;
      assert.ok(gap >= 950, `second attempt only ${gap} ms after the 429`);
      assert.deepEqual(
        events.map((e) => e.status),
        [429, 200],
      );
    });
  });

  test('a Retry-After beyond the deadline ends the call at once with retryAfter set', async () => {
    const srv = await startServer((_req, res) =>
      json(res, 429, { code: 429, msg: 'Too Many Requests' }, { 'retry-after': '30' }),
    );
    await withServers([srv], async () => {
      const started = Date.now();
      const e = await apiError(client(srv.url).listVolumes({ deadline: Date.now() + 2000 }));
      assert.ok(Date.now() - started < 1500, 'did not sleep towards the deadline');
      assert.equal(e.status, 429);
      assert.equal(e.retryAfterMs, 30_000);
      assert.equal(e.retryable, true);
      assert.equal(srv.requests.length, 1);
    });
  });

  test('a hanging API is cut off at the deadline with a timeout error', async () => {
    const srv = await startServer(() => {
      /* never answers */
    });
    await withServers([srv], async () => {
      const started = Date.now();
      const e = await apiError(client(srv.url).getServer(sid, { deadline: Date.now() + 300 }));
      const took = Date.now() - started;
      assert.equal(e.kind, 'timeout');
      assert.equal(e.aborted, false);
      assert.ok(took >= 250 && took < 2000, `gave up after ${took} ms`);
    });
  });

  test('retries stop before the deadline instead of sleeping past it', async () => {
    const srv = await startServer((_req, res) => json(res, 503, { code: 503, msg: 'unavailable' }));
    await withServers([srv], async () => {
      const deadline = Date.now() + 400;
      const e = await apiError(
        client(srv.url, { retry: { baseDelayMs: 150, maxDelayMs: 1000, maxAttempts: 50 } }).getServer(sid, {
          deadline,
        }),
      );
      assert.ok(Date.now() <= deadline + 100, 'returned by the deadline');
      assert.equal(e.status, 503, 'gives up with the last error');
      assert.ok(e.attempts >= 1 && e.attempts < 50);
    });
  });

  test('when the deadline cuts a retry short, the error that caused the retry is reported', async () => {
    let n = 0;
    const srv = await startServer((_req, res) => {
      if (++n === 1) json(res, 503, { code: 503, msg: 'unavailable' });
      // later attempts hang until the deadline
    });
    await withServers([srv], async () => {
      const e = await apiError(client(srv.url).getServer(sid, { deadline: Date.now() + 300 }));
      assert.equal(e.status, 503);
      assert.equal(e.attempts, 2);
      assert.equal(srv.requests.length, 2);
    });
  });

  test('an aborted signal cancels the call', async () => {
    const srv = await startServer(() => {});
    await withServers([srv], async () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const e = await apiError(client(srv.url).getServer(sid, { signal: ac.signal }));
      assert.equal(e.kind, 'timeout');
      assert.equal(e.aborted, true);
      assert.equal(srv.requests.length, 1);
    });
  });

  test('connection refused is a retryable network error after all attempts', async () => {
    const srv = await startServer(() => {});
    const url = srv.url;
    await srv.close();
    const events: IaasRequestEvent[] = [];
    const e = await apiError(client(url, { retry: { ...fast, maxAttempts: 3 } }, events).getServer(sid));
    assert.equal(e.kind, 'network');
    assert.equal(e.status, undefined);
    assert.equal(e.retryable, true);
    assert.equal(e.attempts, 3);
    assert.deepEqual(
      events.map((ev) => ev.error),
      ['network', 'network', 'network'],
    );
  });

  test('a redirect is not followed, so the bearer token stays with the API', async () => {
    const elsewhere = await startServer((_req, res) => json(res, 200, serverBody()));
    const srv = await startServer((_req, res) => {
      res.writeHead(307, { location: `${elsewhere.url}/steal` });
      res.end();
    });
    await withServers([srv, elsewhere], async () => {
      const e = await apiError(
        client(srv.url, { auth: { type: 'token', token: 'secret-token' } }).getServer(sid),
      );
      assert.equal(e.kind, 'network');
      assert.equal(e.retryable, false);
      assert.match(e.message, /redirect/);
      assert.equal(elsewhere.requests.length, 0);
      assert.equal(srv.requests.length, 1);
    });
  });

  test('no event is reported for an attempt that never sent a request', async () => {
    const srv = await startServer((_req, res) => json(res, 200, serverBody()));
    await withServers([srv], async () => {
      const events: IaasRequestEvent[] = [];
      const ac = new AbortController();
      ac.abort();
      const e = await apiError(client(srv.url, {}, events).getServer(sid, { signal: ac.signal }));
      assert.equal(e.aborted, true);
      assert.deepEqual(events, []);
      assert.equal(srv.requests.length, 0);
    });
  });

  test('a throwing metrics hook does not fail the call', async () => {
    const srv = await startServer((_req, res) => json(res, 200, serverBody()));
    await withServers([srv], async () => {
      const c = client(srv.url, {
        onRequest: () => {
          throw new Error('metrics broke');
        },
      });
      assert.equal((await c.getServer(sid)).id, sid);
    });
  });
});

describe('IaaS client: no secrets in errors', () => {
  test('tokens echoed by the API are scrubbed from messages', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const srv = await startServer((req, res) =>
      json(res, 403, { code: 403, msg: `forbidden for ${req.headers.authorization} (token ${token})` }),
    );
    await withServers([srv], async () => {
      const e = await apiError(client(srv.url, { auth: { type: 'token', token } }).getServer(sid));
      assert.equal(e.status, 403);
      assert.ok(!e.message.includes(token), e.message);
      assert.ok(!JSON.stringify(e).includes(token));
      assert.match(e.message, /Bearer \[redacted\]/);
    });
  });

  test('the private key and access token never appear in any error of the key flow', async () => {
    const key = makeKey();
    const ep = await startTokenEndpoint(key);
    const api = await startServer((req, res) =>
      json(res, 500, { code: 500, msg: `boom ${req.headers.authorization}` }),
    );
    await withServers([ep, api], async () => {
      const c = client(api.url, {
        auth: { type: 'service-account-key', key: key.json, tokenUrl: ep.tokenUrl },
        retry: { ...fast, maxAttempts: 2 },
      });
      const e = await apiError(c.getServer(sid));
      const all = `${e.message} ${String(e.stack)} ${JSON.stringify(e)}`;
      const pemLine = key.privateKeyPem.split('\n')[1]!;
      assert.ok(!all.includes(pemLine));
      assert.ok(!all.includes(ep.issued[0]!));
    });
  });
});
