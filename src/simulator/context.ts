// What an IaaS operation handler receives and returns.
import type { Engine } from './engine.ts';
import type { ProjectRecord } from './store.ts';

export interface OpContext {
  engine: Engine;
  operationId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body; undefined when the request had none. */
  body: unknown;
  now: number;
  /** Set for every operation under /v2/projects/{projectId}/regions/{region}. */
  project?: ProjectRecord;
  region?: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: OpContext) => Reply;

export const ok = (body: unknown, status = 200): Reply => ({ status, body });
export const list = (items: unknown[]): Reply => ({ status: 200, body: { items } });

/** What goes on the wire: the admin API and the router both answer with it. */
export interface RawReply {
  status: number;
  /** A JSON value, or a raw string already serialised (malformed bodies). */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}
