// httpFetch carries the IaaS and token calls instead of Node's fetch (memory: src/iaas/http-fetch.ts).
// The client tests cover redirects, timeouts, retries and network failures through it; these cover
// the rest of fetch's contract it keeps: bodies and headers both ways, gzip, bodiless statuses, an
// abort's reason, a refused connection's cause, the proxy switch, and TLS with an operator's CA.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { httpFetch } from '../../src/iaas/http-fetch.ts';
import { json, startServer, withServers } from './helpers.ts';

/** httpFetch(url) in a child process: Node reads NODE_EXTRA_CA_CERTS and the proxy switch once, at start. */
async function fetchInChild(url: string, env: Record<string, string>): Promise<string> {
  const module = new URL('../../src/iaas/http-fetch.ts', import.meta.url).href;
  const script = `import { httpFetch } from ${JSON.stringify(module)};
    try { const r = await httpFetch(${JSON.stringify(url)}); console.log(r.status, await r.text()); }
    catch (e) { console.log('failed', e.message, e.cause?.code); }`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
  });
  return stdout.trim();
}

describe('httpFetch: fetch over node:http', () => {
  test('sends method, headers and body, and returns status, headers and body', async () => {
    const srv = await startServer((req, res) => {
      res.setHeader('x-request-id', 'req-1');
      json(res, 201, { echo: req.body, method: req.method, type: req.headers['content-type'] });
    });
    await withServers([srv], async () => {
      const res = await httpFetch(
        new Request(`${srv.url}/v2/x`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"name":"m-1"}',
        }),
      );
      assert.equal(res.status, 201);
      assert.equal(res.ok, true);
      assert.equal(res.headers.get('x-request-id'), 'req-1');
      assert.deepEqual(await res.json(), {
        echo: '{"name":"m-1"}',
        method: 'POST',
        type: 'application/json',
      });
      assert.equal(srv.requests[0]?.headers['content-length'], '14');
    });
  });

  test('asks for gzip and decodes it', async () => {
    const srv = await startServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ asked: req.headers['accept-encoding'] })));
    });
    await withServers([srv], async () => {
      const res = await httpFetch(`${srv.url}/v2/x`);
      assert.deepEqual(await res.json(), { asked: 'gzip' });
    });
  });

  test('a 204 is a Response without a body, not a failure', async () => {
    const srv = await startServer((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    await withServers([srv], async () => {
      const res = await httpFetch(new Request(`${srv.url}/v2/x`, { method: 'DELETE' }));
      assert.equal(res.status, 204);
      assert.equal(res.body, null);
    });
  });

  test("an abort rejects with the signal's reason, like fetch", async () => {
    const srv = await startServer(() => {}); // never answers
    await withServers([srv], async () => {
      await assert.rejects(httpFetch(`${srv.url}/slow`, { signal: AbortSignal.timeout(100) }), {
        name: 'TimeoutError',
      });
    });
  });

  test('a refused connection is TypeError("fetch failed") with the system error as cause', async () => {
    const srv = await startServer(() => {});
    const url = srv.url;
    await srv.close();
    const err = await httpFetch(url).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TypeError);
    assert.equal(err.message, 'fetch failed');
    assert.equal((err.cause as { code?: string }).code, 'ECONNREFUSED');
  });

  test('with NODE_USE_ENV_PROXY=1 the request goes through HTTP_PROXY', async () => {
    const target = 'http://iaas.example.invalid/v2/x';
    const proxy = await startServer((_req, res) => json(res, 200, { via: 'proxy' }));
    await withServers([proxy], async () => {
      const out = await fetchInChild(target, {
        NODE_USE_ENV_PROXY: '1',
        HTTP_PROXY: proxy.url,
        NO_PROXY: '',
      });
      assert.equal(out, '200 {"via":"proxy"}');
      assert.equal(proxy.requests.length, 1);
      assert.equal(proxy.requests[0]?.headers.host, 'iaas.example.invalid');
    });
  });

  describe('HTTPS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'http-fetch-tls-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    // A CA the system does not know, as behind a TLS-intercepting proxy or a private endpoint.
    const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
    const files = ['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject, ...files],
      {
        stdio: 'ignore',
      },
    );

    async function withTlsServer(fn: (url: string) => void | Promise<void>) {
      const server = createServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end('{"items":[]}');
        },
      );
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        await fn(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    }

    test("a server signed by the operator's CA (NODE_EXTRA_CA_CERTS) is reached", async () => {
      await withTlsServer(async (url) => {
        const out = await fetchInChild(url, { NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') });
        assert.equal(out, '200 {"items":[]}');
      });
    });

    test('a server whose certificate is not trusted is refused', async () => {
      await withTlsServer(async (url) => {
        const out = await fetchInChild(url, { NODE_EXTRA_CA_CERTS: '' });
        assert.match(out, /^failed fetch failed (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
      });
    });
  });
});
