// Real HTTP servers on 127.0.0.1 for the IaaS client tests: a scriptable API server and a token
// endpoint that verifies the RS512 assertion like STACKIT's. Keys are generated per test run.

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify, SignJWT } from 'jose';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
}

export interface TestServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', 'http://x');
    const rec: RecordedRequest = {
      method: req.method ?? '',
      path: u.pathname,
      query: u.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString(),
      at: Date.now(),
    };
    requests.push(rec);
    try {
      await handler(rec, res);
    } catch (err) {
      if (!res.headersSent) json(res, 599, { code: 599, msg: `test handler failed: ${String(err)}` });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export const projectId = '11111111-2222-4333-8444-555555555555';
export const region = 'eu01';
export const serverPath = (id: string) => `/v2/projects/${projectId}/regions/${region}/servers/${id}`;

export function serverBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '0b7f1c38-6c25-4a8b-9d0e-2f1a3b4c5d6e',
    name: 'machine-1',
    machineType: 'c2i.2',
    status: 'ACTIVE',
    labels: { 'kubernetes.io/machine': 'machine-1' },
    ...over,
  };
}

export interface TestKey {
  /** Portal-style key JSON, including credentials.privateKey. */
  json: Record<string, unknown> & { credentials: Record<string, string> };
  privateKeyPem: string;
  publicKeyPem: string;
}

export function makeKey(over: { tokenEndpoint?: string } = {}): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const credentials: Record<string, string> = {
    kid: randomUUID(),
    iss: 'machines@sa.stackit.cloud',
    sub: randomUUID(),
    aud: 'https://stackit-service-account-prod.apps.01.cf.eu01.stackit.cloud',
    privateKey: privateKeyPem,
  };
  if (over.tokenEndpoint) credentials.tokenEndpoint = over.tokenEndpoint;
  return {
    json: {
      id: randomUUID(),
      publicKey: publicKeyPem,
      createdAt: '2025-01-01T00:00:00Z',
      validUntil: '2999-01-01T00:00:00Z',
      keyType: 'USER_MANAGED',
      keyOrigin: 'GENERATED',
      keyAlgorithm: 'RSA_2048',
      active: true,
      credentials,
    },
    privateKeyPem,
    publicKeyPem,
  };
}

export interface TokenEndpointOptions {
  /** Lifetime of issued access tokens, seconds. */
  ttlSeconds?: number;
  /** Delay before answering, ms (to make concurrent callers overlap). */
  delayMs?: number;
  /** Answer with this status instead of issuing a token (per request number, 1-based). */
  failWith?: (n: number) => number | undefined;
}

export interface TokenEndpoint extends TestServer {
  tokenUrl: string;
  /** Access tokens issued so far, in order. */
  issued: string[];
  /** Assertions that failed verification. */
  rejected: string[];
}

const accessTokenSecret = new TextEncoder().encode('test-only-signing-secret-for-access-tokens');

/** A token endpoint that checks grant type, RS512 signature, kid, iss, sub and aud, like STACKIT's. */
export async function startTokenEndpoint(
  key: TestKey,
  opts: TokenEndpointOptions = {},
): Promise<TokenEndpoint> {
  const issued: string[] = [];
  const rejected: string[] = [];
  let n = 0;
  const { createPublicKey } = await import('node:crypto');
  const pub = createPublicKey(key.publicKeyPem);
  const server = await startServer(async (req, res) => {
    n++;
    const mine = n;
    if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    const status = opts.failWith?.(mine);
    if (status !== undefined) {
      json(res, status, { error: 'server_error', error_description: 'induced failure' });
      return;
    }
    const form = new URLSearchParams(req.body);
    if (
      req.method !== 'POST' ||
      form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer' ||
      !req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
    ) {
      json(res, 400, { error: 'invalid_request' });
      return;
    }
    try {
      const { payload, protectedHeader } = await jwtVerify(form.get('assertion') ?? '', pub, {
        algorithms: ['RS512'],
        issuer: key.json.credentials.iss,
        subject: key.json.credentials.sub,
        audience: key.json.credentials.aud,
      });
      if (protectedHeader.kid !== key.json.credentials.kid) throw new Error('kid');
      if (
        typeof payload.jti !== 'string' ||
        typeof payload.iat !== 'number' ||
        typeof payload.exp !== 'number'
      ) {
        throw new Error('claims');
      }
    } catch (err) {
      rejected.push(String(err));
      json(res, 401, { error: 'invalid_grant', error_description: 'assertion rejected' });
      return;
    }
    const ttl = opts.ttlSeconds ?? 3600;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ n: mine })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .sign(accessTokenSecret);
    issued.push(token);
    json(res, 200, {
      access_token: token,
      expires_in: ttl,
      token_type: 'Bearer',
      scope: '',
      refresh_token: 'r',
    });
  });
  return { ...server, tokenUrl: `${server.url}/token`, issued, rejected };
}

/** Runs `fn` with servers that are closed afterwards, also on failure. */
export async function withServers<T>(servers: TestServer[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}
