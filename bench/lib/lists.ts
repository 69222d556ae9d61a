// Lists: ListMachines (and the shared per-class inventory refresh behind GetMachineStatus) over a
// project with many servers, through the STACKIT driver in-process against an in-process simulator.
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { createStackitDriver } from '../../src/driver/stackit/index.ts';
import type { CallContext, Machine, MachineClass, SecretData } from '../../src/driver/types.ts';
import { startSimulator } from '../../src/simulator/index.ts';
import { type Summary, summarize } from './stats.ts';

const silent = pino({ level: 'silent' });
const NAMESPACE = 'shoot--bench--lists';
const CLASS = 'bench-class';

export interface ListsResult {
  servers: number;
  inClass: number;
  seedSeconds: number;
  listMachines: {
    cold: { ms: number; iaasCalls: Record<string, number> };
    warm: Summary & { calls: number; iaasCallsPerCall: number };
    entries: number;
    responseBytes: number;
  };
  /** The raw ListServers answers the driver and a naive provider would fetch. */
  listServers: {
    classSelectorDetails: { ms: number; bytes: number; items: number };
    wholeProjectDetails: { ms: number; bytes: number; items: number };
  };
  /** All Machines of the class ask GetMachineStatus at once: the shared inventory answers them. */
  statusBurst: {
    machines: number;
    wallMs: number;
    iaasCalls: Record<string, number>;
    outcomes: Record<string, number>;
  };
}

function ctx(timeoutMs = 60_000): CallContext {
  return { signal: AbortSignal.timeout(timeoutMs), deadline: Date.now() + timeoutMs, log: silent };
}

async function pool<T>(items: T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++] as T);
    }),
  );
}

export async function benchLists(opts: {
  servers: number;
  inClass: number;
  warmCalls?: number;
}): Promise<ListsResult> {
  const sim = await startSimulator({ bootDelayMs: 0, deleteDelayMs: 0, randomSeed: 1, logger: silent });
  try {
    const d = sim.defaults;
    const key = await sim.createServiceAccountKey({ name: 'bench' });
    const token = await sim.mintAccessToken(key.credentials.kid);
    const base = `${sim.url}/v2/projects/${d.projectId}/regions/${d.region}/servers`;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

    // Seed: inClass servers of our class and namespace, the rest spread over other classes
    // (half of them in another cluster's namespace), all ACTIVE at once (boot delay 0).
    const t0 = performance.now();
    const specs = Array.from({ length: opts.servers }, (_, i) => {
      const ours = i < opts.inClass;
      const cls = ours ? CLASS : `other-class-${i % 24}`;
      const ns = ours || i % 2 === 0 ? NAMESPACE : 'shoot--other--cluster';
      const name = ours ? `bench-machine-${i}` : `other-machine-${i}`;
      return { name, cls, ns };
    });
    await pool(specs, 16, async (s) => {
      const res = await fetch(base, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: s.name,
          machineType: d.machineType,
          imageId: d.imageId,
          networking: { networkId: d.networkId },
          labels: {
            'kubernetes.io/machine': s.name,
            'kubernetes.io/machineclass': s.cls,
            'machine.sapcloud.io/namespace': s.ns,
          },
          metadata: {
            'kubernetes.io-machine': s.name,
            'kubernetes.io-machineclass': s.cls,
            'machine.sapcloud.io-namespace': s.ns,
          },
        }),
      });
      if (res.status !== 201) throw new Error(`CreateServer answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    });
    const seedSeconds = (performance.now() - t0) / 1000;

    const raw = async (query: string) => {
      const t = performance.now();
      const res = await fetch(`${base}?${query}`, { headers });
      const body = await res.text();
      const ms = performance.now() - t;
      return {
        ms,
        bytes: Buffer.byteLength(body),
        items: (JSON.parse(body) as { items: unknown[] }).items.length,
      };
    };
    const classSelectorDetails = await raw(
      `details=true&label_selector=${encodeURIComponent(`kubernetes.io/machineclass=${CLASS}`)}`,
    );
    const wholeProjectDetails = await raw('details=true');

    const driver = createStackitDriver({ log: silent, env: { STACKIT_IAAS_ENDPOINT: sim.url } });
    const secret: SecretData = Object.fromEntries(
      Object.entries({
        projectId: d.projectId,
        serviceAccountKey: JSON.stringify(key),
        region: d.region,
        networkId: d.networkId,
      }).map(([k, v]) => [k, Buffer.from(v)]),
    );
    const machineClass = {
      apiVersion: 'machine.sapcloud.io/v1alpha1',
      kind: 'MachineClass',
      metadata: { name: CLASS, namespace: NAMESPACE },
      provider: 'stackit',
      providerSpec: {
        machineType: d.machineType,
        imageId: d.imageId,
        region: d.region,
        networking: { networkId: d.networkId },
      },
    } as MachineClass;

    const countersNow = () => sim.counters().byOperation;
    const diff = (a: Record<string, number>, b: Record<string, number>) =>
      Object.fromEntries(
        Object.entries(b)
          .map(([k, v]) => [k, v - (a[k] ?? 0)] as const)
          .filter(([, v]) => v !== 0),
      );

    let c = countersNow();
    let t = performance.now();
    const first = await driver.listMachines({ machineClass, secret }, ctx());
    const cold = { ms: performance.now() - t, iaasCalls: diff(c, countersNow()) };
    const entries = Object.keys(first.machineList).length;
    const responseBytes = Buffer.byteLength(JSON.stringify(first.machineList));

    const warmCalls = opts.warmCalls ?? 30;
    const times: number[] = [];
    c = countersNow();
    for (let i = 0; i < warmCalls; i++) {
      t = performance.now();
      await driver.listMachines({ machineClass, secret }, ctx());
      times.push(performance.now() - t);
    }
    const warmOps = diff(c, countersNow());
    const warmIaas = Object.entries(warmOps)
      .filter(([k]) => k !== 'Token')
      .reduce((a, [, v]) => a + v, 0);

    // Every Machine of the class asks for its status at the same moment (MCM's 50 workers, and
    // the 5 s retries of booting Machines): a fresh driver, so the inventory starts empty.
    const driver2 = createStackitDriver({ log: silent, env: { STACKIT_IAAS_ENDPOINT: sim.url } });
    const servers = sim.servers().filter((s) => s.labels?.['kubernetes.io/machineclass'] === CLASS);
    const outcomes: Record<string, number> = {};
    c = countersNow();
    t = performance.now();
    await Promise.all(
      servers.map(async (s) => {
        const machine = {
          apiVersion: 'machine.sapcloud.io/v1alpha1',
          kind: 'Machine',
          metadata: { name: s.name, namespace: NAMESPACE },
          spec: {
            class: { kind: 'MachineClass', name: CLASS },
            providerID: `stackit://${d.projectId}/${s.id}`,
          },
        } as Machine;
        try {
          await driver2.getMachineStatus({ machine, machineClass, secret }, ctx());
          outcomes.OK = (outcomes.OK ?? 0) + 1;
        } catch (e) {
          const k = `code ${(e as { code?: number }).code ?? '?'}`;
          outcomes[k] = (outcomes[k] ?? 0) + 1;
        }
      }),
    );
    const statusBurst = {
      machines: servers.length,
      wallMs: performance.now() - t,
      iaasCalls: diff(c, countersNow()),
      outcomes,
    };

    return {
      servers: sim.servers().length,
      inClass: opts.inClass,
      seedSeconds,
      listMachines: {
        cold,
        warm: { ...summarize(times), calls: warmCalls, iaasCallsPerCall: warmIaas / warmCalls },
        entries,
        responseBytes,
      },
      listServers: { classSelectorDetails, wholeProjectDetails },
      statusBurst,
    };
  } finally {
    await sim.close();
  }
}
