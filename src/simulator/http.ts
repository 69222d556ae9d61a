// The HTTP front: admin API, token endpoint and the IaaS v2 operations, each request taking the
// same path: match the spec operation -> latency fault -> lazy lifecycle -> auth -> path checks ->
// project scope -> injected 429/5xx -> handler -> malformed-body fault -> count.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AdminControl, handleAdmin } from './admin.ts';
import { IaasError } from './api-error.ts';
import type { OpContext, RawReply, Reply } from './context.ts';
import type { Engine } from './engine.ts';
import { malformBody } from './malformed.ts';
import { handlers } from './operations.ts';
import { matchRoute, type SpecOperation } from './spec.ts';
import { isUuid } from './uuid.ts';

const BODY_LIMIT = 1024 * 1024;

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, r: RawReply): void {
  const headers: Record<string, string> = { 'x-request-id': randomUUID(), ...r.headers };
  if (r.status === 204 || (r.body === undefined && r.raw === undefined)) {
    res.writeHead(r.status, headers);
    res.end();
    return;
  }
  const text = r.raw ?? JSON.stringify(r.body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(r.status, headers);
  res.end(text);
}

const errorReply = (e: IaasError): RawReply => ({ status: e.status, body: e.body, headers: e.headers });

export function createRequestListener(engine: Engine, admin: AdminControl): RequestListener {
  const log = engine.log;
  return (req, res) => {
    const started = performance.now();
    handle(req)
      .then((r) => {
        send(res, r.reply);
        if (r.operation) engine.counters.call(r.operation, r.reply.status);
        log.debug(
          {
            method: req.method,
            path: r.path,
            operation: r.operation,
            status: r.reply.status,
            ms: Math.round(performance.now() - started),
          },
          'request',
        );
      })
      .catch((e: unknown) => {
        log.error({ err: e, method: req.method }, 'request failed');
        if (!res.headersSent) send(res, { status: 500, body: { code: 500, msg: 'internal server error' } });
        else res.destroy();
      });
  };

  async function handle(
    req: IncomingMessage,
  ): Promise<{ reply: RawReply; operation?: string; path: string }> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://simulator.invalid');
    } catch {
      return { reply: { status: 400, body: { code: 400, msg: 'malformed request URL' } }, path: '?' };
    }
    const path = url.pathname;
    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        return { reply: { status: 413, body: { code: 413, msg: 'Request Entity Too Large' } }, path };
      }
      throw e;
    }

    if (path === '/admin' || path.startsWith('/admin/')) {
      return { reply: await handleAdmin(admin, method, path, url.searchParams, raw), path };
    }

    if (path === '/token') {
      if (method !== 'POST') {
        return {
          reply: {
            status: 405,
            body: { error: 'invalid_request', error_description: 'use POST' },
            headers: { allow: 'POST' },
          },
          operation: 'Token',
          path,
        };
      }
      // The token endpoint takes the faults configured for the pseudo-operation `Token`.
      const rule = engine.faults.forOperation('Token');
      const delay = engine.faults.latencyMs(rule);
      if (delay > 0) {
        engine.counters.fault('latency');
        await sleep(delay);
      }
      if (rule && engine.faults.rollRate(rule.rateLimitRate)) {
        engine.counters.fault('rateLimit');
        const headers = { 'retry-after': String(rule.retryAfterSeconds ?? 1) };
        return {
          reply: { status: 429, body: { error: 'too_many_requests' }, headers },
          operation: 'Token',
          path,
        };
      }
      if (rule && engine.faults.rollRate(rule.errorRate)) {
        engine.counters.fault('error');
        const status = rule.errorStatus ?? 500;
        return {
          reply: {
            status,
            body: { error: 'server_error', error_description: rule.errorMessage ?? 'simulated error' },
          },
          operation: 'Token',
          path,
        };
      }
      const r = await engine.auth.token(new URLSearchParams(raw.toString('utf8')));
      return {
        reply: { status: r.status, body: r.body, headers: { 'cache-control': 'no-store' } },
        operation: 'Token',
        path,
      };
    }

    const m = matchRoute(method, path);
    if (m.kind === 'none') {
      return {
        reply: { status: 404, body: { code: 404, msg: 'not found: no such API path' } },
        operation: '(unmatched)',
        path,
      };
    }
    if (m.kind === 'method-not-allowed') {
      return {
        reply: {
          status: 405,
          body: { code: 405, msg: 'method not allowed' },
          headers: { allow: m.allowed.join(', ') },
        },
        operation: '(unmatched)',
        path,
      };
    }
    const reply = await runOperation(req, m.op, m.params, url.searchParams, raw);
    return { reply, operation: m.op.operationId, path };
  }

  async function runOperation(
    req: IncomingMessage,
    op: SpecOperation,
    params: Record<string, string>,
    query: URLSearchParams,
    raw: Buffer,
  ): Promise<RawReply> {
    const { faults, counters, store } = engine;
    const rule = faults.forOperation(op.operationId);
    const delay = faults.latencyMs(rule);
    if (delay > 0) {
      counters.fault('latency');
      await sleep(delay);
    }
    const now = Date.now();
    engine.advance(now);

    let allowedProjects: string[] | undefined;
    if (!engine.noAuth) {
      const check = await engine.auth.checkBearer(req.headers.authorization);
      if (!check.ok) return { status: 401, body: { code: 401, msg: check.msg } };
      allowedProjects = check.projectIds;
    }

    for (const name of op.pathParams) {
      const v = params[name] ?? '';
      if (op.uuidParams.has(name) && !isUuid(v))
        return { status: 400, body: { code: 400, msg: `invalid uuid: ${name}` } };
      const pattern = op.patternParams.get(name);
      if (pattern && !pattern.test(v)) {
        return {
          status: 400,
          body: {
            code: 400,
            msg: `parameter "${name}" in path has an error: string doesn't match the regular expression "${pattern.source}"`,
          },
        };
      }
    }

    const ctx: OpContext = { engine, operationId: op.operationId, params, query, body: undefined, now };
    if (params.projectId !== undefined) {
      if (allowedProjects && !allowedProjects.includes(params.projectId)) {
        return {
          status: 403,
          body: { code: 403, msg: 'Forbidden: the service account has no access to this project' },
        };
      }
      const project = store.projects.get(params.projectId);
      if (!project) return { status: 404, body: { code: 404, msg: 'project not found' } };
      ctx.project = project;
    }
    if (params.region !== undefined) {
      if (!store.regions.some((r) => r.name === params.region)) {
        return {
          status: 404,
          body: { code: 404, msg: `region not found: ${JSON.stringify(params.region.slice(0, 40))}` },
        };
      }
      if (ctx.project && !ctx.project.regions.includes(params.region)) {
        return { status: 404, body: { code: 404, msg: `project not found in region ${params.region}` } };
      }
      ctx.region = params.region;
    }

    if (rule && faults.rollRate(rule.rateLimitRate)) {
      counters.fault('rateLimit');
      return {
        status: 429,
        body: { code: 429, msg: 'Too Many Requests' },
        headers: { 'retry-after': String(rule.retryAfterSeconds ?? 1) },
      };
    }
    const injectError = rule !== undefined && faults.rollRate(rule.errorRate);
    const injected = (): RawReply => {
      counters.fault('error');
      const status = rule?.errorStatus ?? 500;
      return {
        status,
        body: {
          code: status,
          msg: rule?.errorMessage ?? (status === 500 ? 'internal server error' : 'simulated error'),
        },
      };
    };
    if (injectError && !rule?.errorAfterCommit) return injected();

    if (raw.length > 0 && (req.method === 'POST' || req.method === 'PATCH' || req.method === 'PUT')) {
      try {
        ctx.body = JSON.parse(raw.toString('utf8'));
      } catch {
        return {
          status: 400,
          body: { code: 400, msg: 'request body has an error: failed to decode request body: invalid JSON' },
        };
      }
    }

    const handler = handlers[op.operationId];
    if (!handler) {
      return {
        status: 501,
        body: { code: 501, msg: `${op.operationId} is not modelled by the STACKIT simulator` },
      };
    }
    let reply: Reply;
    try {
      reply = handler(ctx);
    } catch (e) {
      if (e instanceof IaasError) return errorReply(e);
      throw e;
    }
    if (injectError) return injected();

    if (reply.status < 300 && reply.body !== undefined && rule && faults.rollRate(rule.malformedRate)) {
      counters.fault('malformed');
      const raw = malformBody(rule.malformedKind ?? 'invalid-json', op.operationId, reply.status, reply.body);
      return { status: reply.status, raw, ...(reply.headers ? { headers: reply.headers } : {}) };
    }
    return reply;
  }
}
