// The simulator's TypeScript API: start a STACKIT IaaS v2 simulator on a local port, drive its
// faults and read its counters. The CLI (main.ts), tests and the harness all start it from here.
import { randomInt } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../util/log.ts';
import type { AdminControl } from './admin.ts';
import { Engine } from './engine.ts';
import { createRequestListener } from './http.ts';
import { createPrng } from './prng.ts';
import { renderServer } from './render.ts';
import { completeProject, completeSeed, loadSeedFile, seedDefaults } from './seed.ts';
import { readStateFile, StateWriter } from './state-file.ts';
import { Store } from './store.ts';
import type {
  AdminServer,
  CreateServiceAccountKeyOptions,
  FaultProfile,
  SeedData,
  SeedDefaults,
  ServiceAccountKey,
} from './types.ts';
import { newUuid } from './uuid.ts';
import { warmUpValidators } from './validation.ts';

export { parseFaultProfile } from './faults.ts';
export { completeSeed, loadSeedFile, parseSeed } from './seed.ts';
export { defaultSeed } from './seed-default.ts';
export type * from './types.ts';

export interface SimulatorOptions {
  /** 0 (the default here) picks a free port; the CLI defaults to 8787. */
  port?: number;
  host?: string;
  /** Accept every API call without a token. */
  noAuth?: boolean;
  /** Persist state here and reload it on start. */
  stateFile?: string;
  /** Seed data, or the path of a seed file (YAML or JSON, see `loadSeedFile`). */
  seed?: SeedData | string;
  /** CREATING -> ACTIVE/ERROR after this long (default 2000 ms). */
  bootDelayMs?: number;
  /** DELETING -> gone after this long (default 1000 ms). */
  deleteDelayMs?: number;
  /** Access-token lifetime (default 3600 s). */
  tokenTtlSeconds?: number;
  faults?: FaultProfile;
  /** Seed for fault decisions; random (and logged) when absent. */
  randomSeed?: number;
  logger?: Logger;
}

export interface RunningSimulator extends Omit<AdminControl, 'createServiceAccountKey'> {
  /** Base URL, e.g. http://127.0.0.1:PORT; IaaS paths are under /v2, the admin API under /admin. */
  url: string;
  tokenUrl: string;
  seed: SeedData;
  /** Ids of the default project's resources. */
  defaults: SeedDefaults;
  createServiceAccountKey(opts?: CreateServiceAccountKeyOptions): Promise<ServiceAccountKey>;
  /** An access token for a key created here, bypassing the assertion exchange. */
  mintAccessToken(kid: string, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const log = opts.logger ?? createLogger('stackit-simulator');
  const store = new Store();
  let seed =
    typeof opts.seed === 'string' ? loadSeedFile(opts.seed) : structuredClone(opts.seed ?? completeSeed());
  const saved = opts.stateFile ? readStateFile(opts.stateFile) : undefined;
  if (saved) {
    store.restore(saved);
    if (saved.seed) seed = saved.seed;
    log.info({ stateFile: opts.stateFile, servers: store.servers.size }, 'state restored');
  } else {
    store.loadSeed(seed);
  }
  const randomSeed = opts.randomSeed ?? randomInt(2 ** 31);
  const engine = new Engine({
    store,
    rng: createPrng(randomSeed),
    ...(opts.faults ? { faults: opts.faults } : {}),
    timing: {
      bootDelayMs: opts.bootDelayMs ?? 2000,
      deleteDelayMs: opts.deleteDelayMs ?? 1000,
      tokenTtlSeconds: opts.tokenTtlSeconds ?? 3600,
    },
    noAuth: opts.noAuth ?? false,
    log,
  });
  const writer = opts.stateFile
    ? new StateWriter(
        opts.stateFile,
        () => ({ ...store.snapshot(), seed }),
        (e) => log.error({ err: e }, 'state file write failed'),
      )
    : undefined;
  if (writer) {
    engine.onChange = () => writer.markDirty();
    writer.flush();
  }
  warmUpValidators(['CreateServerPayload', 'UpdateServerPayload', 'UpdateNicPayload']);

  let tokenUrl = '';
  const servers = (): AdminServer[] => {
    engine.advance();
    return [...store.servers.values()].map((s) => ({
      ...renderServer(store, s, true),
      id: s.id,
      projectId: s.projectId,
      region: s.region,
    }));
  };
  const control: AdminControl = {
    counters: () => engine.counters.get(),
    resetCounters: () => engine.counters.reset(),
    faults: () => engine.faults.get(),
    setFaults: (f) => engine.faults.set(f),
    createServiceAccountKey: async (o) => {
      const key = engine.auth.createKey(o, tokenUrl);
      engine.changed();
      return key;
    },
    servers,
    setServerState: (id, patch) => {
      engine.advance();
      const s = store.servers.get(id);
      if (!s) return false;
      if (patch.status !== undefined) {
        s.status = patch.status;
        delete s.due;
      }
      if (patch.powerStatus !== undefined) s.powerStatus = patch.powerStatus;
      if (patch.errorMessage !== undefined) s.errorMessage = patch.errorMessage;
      s.updatedAt = new Date().toISOString();
      engine.changed();
      return true;
    },
    addProject: (p = {}) => {
      const id = p.id ?? newUuid();
      if (store.projects.has(id)) throw new Error(`project ${id} exists already`);
      const project = completeProject({
        ...p,
        id,
        networks: p.networks ?? [
          {
            id: newUuid(),
            name: 'network',
            status: 'CREATED',
            dhcp: true,
            routed: true,
            labels: {},
            ipv4: { prefixes: ['10.250.0.0/16'], gateway: '10.250.0.1', nameservers: [] },
          },
        ],
      });
      const next = { ...seed, projects: [...seed.projects, project] };
      completeSeed(next); // validates ids and references before anything changes
      seed = next;
      store.addProject(project);
      engine.changed();
      return structuredClone(project);
    },
    reset: () => {
      store.loadSeed(seed);
      engine.counters.reset();
      engine.changed();
    },
  };

  const server = createServer({ keepAliveTimeout: 30_000 }, createRequestListener(engine, control));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  tokenUrl = `${url}/token`;
  log.info({ url, noAuth: engine.noAuth, randomSeed, ...engine.timing }, 'STACKIT simulator listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    tokenUrl,
    get seed() {
      return structuredClone(seed);
    },
    get defaults() {
      return seedDefaults(seed);
    },
    createServiceAccountKey: (o = {}) => control.createServiceAccountKey(o),
    mintAccessToken: (kid, ttl) => engine.auth.mintAccessToken(kid, ttl),
    setFaults: (f) => control.setFaults(f),
    faults: () => control.faults(),
    counters: () => control.counters(),
    resetCounters: () => control.resetCounters(),
    servers,
    setServerState: (id, patch) => control.setServerState(id, patch),
    addProject: (p) => control.addProject(p),
    reset: () => control.reset(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(() => {
        writer?.flush();
      });
      return closed;
    },
  };
}
