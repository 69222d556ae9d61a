// The admin API under /admin: never counted, never needs a token. Errors use the IaaS {code, msg}
// body so one client can read both.
import type { RawReply } from './context.ts';
import type {
  AdminServer,
  Counters,
  CreateServiceAccountKeyOptions,
  FaultProfile,
  PartialProjectSeed,
  ProjectSeed,
  ServiceAccountKey,
} from './types.ts';

/** What the admin API and a RunningSimulator both offer. */
export interface AdminControl {
  counters(): Counters;
  resetCounters(): void;
  faults(): FaultProfile;
  /** Throws an Error with a field-naming message when the profile is invalid. */
  setFaults(f: FaultProfile): void;
  createServiceAccountKey(opts: CreateServiceAccountKeyOptions): Promise<ServiceAccountKey>;
  servers(): AdminServer[];
  /** Sets status/powerStatus of a server (crash a node, stop it); returns false if unknown. */
  setServerState(
    id: string,
    patch: { status?: string; powerStatus?: string; errorMessage?: string },
  ): boolean;
  /** Adds a project (with one network when none is given) and returns it completed. */
  addProject(p?: Partial<PartialProjectSeed>): ProjectSeed;
  /** Back to the seed: servers and created resources gone, counters cleared; keys and faults stay. */
  reset(): void;
}

const error = (status: number, msg: string): RawReply => ({ status, body: { code: status, msg } });

function parseJson(raw: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (raw.length === 0) return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export async function handleAdmin(
  c: AdminControl,
  method: string,
  path: string,
  _query: URLSearchParams,
  raw: Buffer,
): Promise<RawReply> {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  const body = parseJson(raw);
  if (!body.ok) return error(400, 'request body is not valid JSON');
  try {
    switch (route) {
      case 'GET /admin/healthz':
        return { status: 200, body: { status: 'ok' } };
      case 'GET /admin/counters':
        return { status: 200, body: c.counters() };
      case 'DELETE /admin/counters':
        c.resetCounters();
        return { status: 204 };
      case 'GET /admin/faults':
        return { status: 200, body: c.faults() };
      case 'PUT /admin/faults':
        c.setFaults(body.value as FaultProfile);
        return { status: 200, body: c.faults() };
      case 'DELETE /admin/faults':
        c.setFaults({});
        return { status: 204 };
      case 'POST /admin/service-account-keys': {
        if (!isObject(body.value)) return error(400, 'request body must be a JSON object');
        const v = body.value;
        const opts: CreateServiceAccountKeyOptions = {};
        if (v.name !== undefined) opts.name = String(v.name);
        if (v.publicKey !== undefined) opts.publicKey = String(v.publicKey);
        if (v.validUntil !== undefined) opts.validUntil = String(v.validUntil);
        if (v.projectIds !== undefined) {
          if (!Array.isArray(v.projectIds)) return error(400, 'projectIds: must be an array of project ids');
          opts.projectIds = v.projectIds.map(String);
        }
        return { status: 201, body: await c.createServiceAccountKey(opts) };
      }
      case 'GET /admin/servers':
        return { status: 200, body: { items: c.servers() } };
      case 'POST /admin/projects':
        if (!isObject(body.value)) return error(400, 'request body must be a JSON object');
        return { status: 201, body: c.addProject(body.value as Partial<PartialProjectSeed>) };
      case 'POST /admin/reset':
        c.reset();
        return { status: 204 };
    }
    const serverState = /^PATCH \/admin\/servers\/([^/]+)$/.exec(route);
    if (serverState?.[1]) {
      if (!isObject(body.value)) return error(400, 'request body must be a JSON object');
      const patch: { status?: string; powerStatus?: string; errorMessage?: string } = {};
      for (const k of ['status', 'powerStatus', 'errorMessage'] as const) {
        const v = body.value[k];
        if (v !== undefined) {
          if (typeof v !== 'string') return error(400, `${k}: must be a string`);
          patch[k] = v;
        }
      }
      return c.setServerState(serverState[1], patch) ? { status: 204 } : error(404, 'server not found');
    }
    return error(404, `no admin route ${route}`);
  } catch (e) {
    return error(400, (e as Error).message);
  }
}
