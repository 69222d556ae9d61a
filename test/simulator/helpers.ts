// Shared test plumbing: a quiet simulator, an HTTP client that checks every IaaS response body
// against the spec, and polling helpers.
import { pino } from 'pino';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.ts';
import { assertMatchesSpec } from './spec-validate.ts';

export const quietLogger = pino({ level: 'silent' });

export function start(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({
    noAuth: true,
    bootDelayMs: 50,
    deleteDelayMs: 50,
    randomSeed: 1,
    logger: quietLogger,
    ...opts,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: tests inspect decoded JSON field by field; the spec check guards its shape
export type Json = any;

export interface ApiResult<T = Json> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

export interface CallOptions {
  body?: unknown;
  /** Sent verbatim instead of JSON.stringify(body). */
  rawBody?: string;
  token?: string;
  /** Skip the spec check (malformed-body faults). */
  noSpec?: boolean;
  headers?: Record<string, string>;
}

/** Calls an IaaS operation and checks the answer against the spec's schema for operationId. */
export async function call<T = Json>(
  sim: { url: string },
  operationId: string,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const res = await fetch(`${sim.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  if (!opts.noSpec) {
    parsed = text === '' ? undefined : JSON.parse(text);
    assertMatchesSpec(operationId, res.status, parsed);
  } else {
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, body: parsed as T, text, headers: res.headers };
}

/** Admin API call (not part of the spec). */
export async function admin<T = Json>(
  sim: { url: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResult<T>> {
  const res = await fetch(`${sim.url}/admin${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text === '' ? undefined : JSON.parse(text)) as T,
    text,
    headers: res.headers,
  };
}

export const projectPath = (
  sim: RunningSimulator,
  projectId = sim.defaults.projectId,
  region = sim.defaults.region,
) => `/v2/projects/${projectId}/regions/${region}`;

export function serverPayload(
  sim: RunningSimulator,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: 'machine-1',
    machineType: sim.defaults.machineType,
    imageId: sim.defaults.imageId,
    networking: { networkId: sim.defaults.networkId },
    ...over,
  };
}

export async function createServer(
  sim: RunningSimulator,
  over: Record<string, unknown> = {},
  token?: string,
) {
  const r = await call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`, {
    body: serverPayload(sim, over),
    ...(token ? { token } : {}),
  });
  if (r.status !== 201) throw new Error(`CreateServer answered ${r.status}: ${r.text}`);
  return r.body as { id: string; status: string; [k: string]: unknown };
}

/** Polls until `check` returns a value other than undefined, or fails after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitForStatus(sim: RunningSimulator, serverId: string, status: string, token?: string) {
  return waitFor(`server ${serverId} to be ${status}`, async () => {
    const r = await call(
      sim,
      'GetServer',
      'GET',
      `${projectPath(sim)}/servers/${serverId}`,
      token ? { token } : {},
    );
    return r.status === 200 && r.body.status === status ? r.body : undefined;
  });
}
