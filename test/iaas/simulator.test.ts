// End to end: the IaaS client against the STACKIT simulator (src/simulator), over real HTTP.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createIaasClient,
  IaasApiError,
  type IaasClient,
  type IaasClientConfig,
  type IaasRequestEvent,
  type Server,
} from '../../src/iaas/index.ts';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.ts';
import { createLogger } from '../../src/util/log.ts';

const quiet = createLogger('simulator-under-test', { level: 'silent' });
const fast = { baseDelayMs: 10, maxDelayMs: 40 };

function start(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ logger: quiet, bootDelayMs: 200, deleteDelayMs: 200, randomSeed: 1, ...opts });
}

async function keyClient(
  sim: RunningSimulator,
  events: IaasRequestEvent[] = [],
  over: Partial<IaasClientConfig> = {},
): Promise<{ client: IaasClient; key: Awaited<ReturnType<RunningSimulator['createServiceAccountKey']>> }> {
  const key = await sim.createServiceAccountKey();
  const client = createIaasClient({
    endpoint: sim.url,
    projectId: sim.defaults.projectId,
    region: sim.defaults.region,
    auth: { type: 'service-account-key', key: JSON.stringify(key) },
    retry: fast,
    onRequest: (e) => events.push(e),
    ...over,
  });
  return { client, key };
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

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const tokenRequests = (events: IaasRequestEvent[]) =>
  events.filter((e) => e.operation === 'ServiceAccountToken');

function createPayload(sim: RunningSimulator, name: string, labels: Record<string, string>) {
  const d = sim.defaults;
  return {
    name,
    machineType: d.machineType,
    availabilityZone: d.availabilityZone,
    imageId: d.imageId,
    keypairName: d.keypairName,
    networking: { networkId: d.networkId },
    labels,
  };
}

describe('IaaS client against the simulator: authentication', () => {
  test('the key flow authenticates; concurrent first calls share one token request', async () => {
    const sim = await start();
    try {
      const events: IaasRequestEvent[] = [];
      const { client } = await keyClient(sim, events);
      const results = await Promise.all(Array.from({ length: 8 }, () => client.listServers()));
      assert.ok(results.every((r) => Array.isArray(r)));
      assert.equal(tokenRequests(events).length, 1);
      assert.equal(tokenRequests(events)[0]?.status, 200);
    } finally {
      await sim.close();
    }
  });

  test('a short-lived token is refreshed, once, before it expires', async () => {
    const sim = await start({ tokenTtlSeconds: 2 });
    try {
      const events: IaasRequestEvent[] = [];
      const { client } = await keyClient(sim, events);
      await client.listMachineTypes();
      await client.listMachineTypes();
      assert.equal(tokenRequests(events).length, 1);
      await new Promise((r) => setTimeout(r, 1200));
      await Promise.all([client.listMachineTypes(), client.listImages(), client.listNetworks()]);
      assert.equal(tokenRequests(events).length, 2);
      assert.ok(
        events.every((e) => e.error === undefined),
        'no call saw an expired token',
      );
    } finally {
      await sim.close();
    }
  });

  test('a wrong token is a 401; no secret appears in any error', async () => {
    const sim = await start();
    try {
      const key = await sim.createServiceAccountKey();
      const token = await sim.mintAccessToken(key.credentials.kid);
      const other = sim.addProject();
      // A key limited to the default project gets 403 elsewhere.
      const limited = await sim.createServiceAccountKey({ projectIds: [sim.defaults.projectId] });
      const c = createIaasClient({
        endpoint: sim.url,
        projectId: other.id,
        region: sim.defaults.region,
        auth: { type: 'service-account-key', key: limited },
        retry: fast,
      });
      const forbidden = await apiError(c.listServers());
      assert.equal(forbidden.status, 403);
      assert.equal(forbidden.retryable, false);

      const bogus = createIaasClient({
        endpoint: sim.url,
        projectId: sim.defaults.projectId,
        region: sim.defaults.region,
        auth: { type: 'token', token: `${token}x` },
      });
      const unauth = await apiError(bogus.listServers());
      assert.equal(unauth.status, 401);

      for (const e of [forbidden, unauth]) {
        const all = `${e.message} ${String(e.stack)} ${JSON.stringify(e)}`;
        assert.ok(!all.includes(token), 'access token leaked');
        for (const k of [key, limited]) {
          const pemLine = k.credentials.privateKey?.split('\n')[1];
          assert.ok(pemLine && !all.includes(pemLine), 'private key leaked');
        }
      }
    } finally {
      await sim.close();
    }
  });

  test('no-auth works against a no-auth simulator', async () => {
    const sim = await start({ noAuth: true });
    try {
      const c = createIaasClient({
        endpoint: sim.url,
        projectId: sim.defaults.projectId,
        region: sim.defaults.region,
        auth: { type: 'none' },
      });
      assert.ok((await c.listAvailabilityZones()).includes(sim.defaults.availabilityZone));
    } finally {
      await sim.close();
    }
  });
});

describe('IaaS client against the simulator: server lifecycle and lookups', () => {
  let sim: RunningSimulator;
  let client: IaasClient;
  before(async () => {
    sim = await start();
    ({ client } = await keyClient(sim));
  });
  after(() => sim.close());

  test('create -> CREATING -> ACTIVE -> delete -> 404', async () => {
    const created = await client.createServer(
      createPayload(sim, 'machine-a', { 'kubernetes.io/machine': 'machine-a' }),
    );
    assert.equal(created.status, 'CREATING');
    const active = await waitFor('ACTIVE', async () => {
      const s = await client.getServer(created.id, { details: true });
      return s.status === 'ACTIVE' ? s : undefined;
    });
    assert.ok(active.nics && active.nics.length > 0, 'details bring the NICs');
    const nic = active.nics[0]!;
    assert.equal(nic.networkId, sim.defaults.networkId);

    const updated = await client.updateNic(nic.networkId, nic.nicId, { allowedAddresses: ['100.64.0.0/10'] });
    assert.deepEqual(updated.allowedAddresses, ['100.64.0.0/10']);
    const reread = await client.getServer(created.id, { details: true });
    assert.deepEqual(reread.nics?.[0]?.allowedAddresses, ['100.64.0.0/10']);

    const relabelled = await client.updateServer(created.id, {
      labels: { 'kubernetes.io/machine': 'machine-a', extra: 'x' },
    });
    assert.equal(relabelled.labels?.extra, 'x');

    await client.deleteServer(created.id);
    const gone = await waitFor('404', async () => {
      try {
        await client.getServer(created.id);
        return undefined;
      } catch (e) {
        if (e instanceof IaasApiError && e.notFound) return e;
        throw e;
      }
    });
    assert.equal(gone.status, 404);
  });

  test('ListServers with a label selector returns only the matching servers', async () => {
    const a = await client.createServer(
      createPayload(sim, 'sel-a', { 'kubernetes.io/machineclass': 'class-1', pool: 'a' }),
    );
    const b = await client.createServer(
      createPayload(sim, 'sel-b', { 'kubernetes.io/machineclass': 'class-2', pool: 'a' }),
    );
    try {
      const one = await client.listServers({ labelSelector: 'kubernetes.io/machineclass=class-1' });
      assert.deepEqual(
        one.map((s: Server) => s.id),
        [a.id],
      );
      const both = await client.listServers({ labelSelector: 'pool=a' });
      assert.deepEqual(both.map((s) => s.id).sort(), [a.id, b.id].sort());
      const and = await client.listServers({ labelSelector: 'pool=a,kubernetes.io/machineclass=class-2' });
      assert.deepEqual(
        and.map((s) => s.id),
        [b.id],
      );
    } finally {
      await client.deleteServer(a.id);
      await client.deleteServer(b.id);
    }
  });

  test('validation lookups find the seeded resources', async () => {
    const d = sim.defaults;
    assert.ok((await client.listMachineTypes()).some((m) => m.name === d.machineType));
    assert.equal((await client.getImage(d.imageId)).id, d.imageId);
    assert.ok((await client.listImages()).some((i) => i.id === d.imageId));
    assert.equal((await client.getKeyPair(d.keypairName)).name, d.keypairName);
    assert.ok((await client.listKeyPairs()).some((k) => k.name === d.keypairName));
    assert.ok((await client.listAvailabilityZones()).includes(d.availabilityZone));
    assert.equal((await client.getAffinityGroup(d.affinityGroupId)).id, d.affinityGroupId);
    assert.ok((await client.listAffinityGroups()).some((g) => g.id === d.affinityGroupId));
    assert.ok((await client.listSecurityGroups()).some((g) => g.name === d.securityGroupName));
    assert.equal((await client.getNetwork(d.networkId)).id, d.networkId);
    assert.ok((await client.listNetworks()).some((n) => n.id === d.networkId));
    assert.ok(Array.isArray(await client.listVolumes()));
    const missing = await apiError(client.getImage('00000000-0000-4000-8000-000000000000'));
    assert.equal(missing.notFound, true);
  });
});

describe('IaaS client against the simulator: faults', () => {
  let sim: RunningSimulator;
  let client: IaasClient;
  const events: IaasRequestEvent[] = [];
  before(async () => {
    sim = await start();
    ({ client } = await keyClient(sim, events, { retry: { ...fast, maxAttempts: 3 } }));
    await client.listServers(); // token in place
  });
  after(() => sim.close());
  const reset = () => {
    sim.setFaults({});
    sim.resetCounters();
    events.length = 0;
  };

  test('5xx on a GET: retried up to maxAttempts, then a retryable http error', async () => {
    reset();
    sim.setFaults({
      operations: { GetServer: { errorRate: 1, errorStatus: 503, errorMessage: 'overloaded' } },
    });
    const e = await apiError(client.getServer('00000000-0000-4000-8000-000000000001'));
    assert.equal(e.kind, 'http');
    assert.equal(e.status, 503);
    assert.equal(e.body?.msg, 'overloaded');
    assert.equal(e.retryable, true);
    assert.equal(e.attempts, 3);
    assert.ok(e.requestId, 'the simulator sends x-request-id');
    assert.equal(sim.counters().byOperation.GetServer, 3);
    assert.deepEqual(
      events.map((ev) => ev.retried),
      [false, true, true],
    );
  });

  test('5xx on CreateServer after the commit: one attempt, outcome unknown, the server is findable by label', async () => {
    reset();
    sim.setFaults({
      operations: { CreateServer: { errorRate: 1, errorStatus: 500, errorAfterCommit: true } },
    });
    const labels = { 'kubernetes.io/machine': 'machine-commit' };
    const e = await apiError(client.createServer(createPayload(sim, 'machine-commit', labels)));
    assert.equal(e.status, 500);
    assert.equal(e.method, 'POST');
    assert.equal(e.outcomeUnknown, true);
    assert.equal(e.attempts, 1);
    assert.equal(sim.counters().byOperation.CreateServer, 1);
    sim.setFaults({});
    const found = await client.listServers({ labelSelector: 'kubernetes.io/machine=machine-commit' });
    assert.equal(found.length, 1);
    await client.deleteServer(found[0]!.id);
  });

  test('429 with Retry-After is honoured and the call then succeeds', async () => {
    reset();
    sim.setFaults({ operations: { ListNetworks: { rateLimitRate: 1, retryAfterSeconds: 1 } } });
    const c = createIaasClient({
      endpoint: sim.url,
      projectId: sim.defaults.projectId,
      region: sim.defaults.region,
      auth: {
        type: 'token',
        token: await sim.mintAccessToken((await sim.createServiceAccountKey()).credentials.kid),
      },
      retry: fast,
      onRequest: (ev) => {
        events.push(ev);
        if (ev.status === 429) sim.setFaults({}); // the limit lifts after the first refusal
      },
    });
    const started = Date.now();
    const networks = await c.listNetworks();
    assert.ok(networks.length > 0);
    assert.deepEqual(
      events.map((ev) => ev.status),
      [429, 200],
    );
    assert.ok(Date.now() - started >= 950, 'waited for Retry-After');
  });

  test('429 whose Retry-After exceeds the deadline: given up at once, retryAfter reported', async () => {
    reset();
    sim.setFaults({ operations: { ListServers: { rateLimitRate: 1, retryAfterSeconds: 5 } } });
    const e = await apiError(client.listServers({ deadline: Date.now() + 1000 }));
    assert.equal(e.status, 429);
    assert.equal(e.retryAfterMs, 5000);
    assert.equal(e.retryable, true);
    assert.equal(e.attempts, 1);
  });

  test('latency beyond the deadline ends in a timeout error near the deadline', async () => {
    reset();
    sim.setFaults({ operations: { GetNetwork: { latency: { ms: 3000 } } } });
    const started = Date.now();
    const e = await apiError(client.getNetwork(sim.defaults.networkId, { deadline: Date.now() + 300 }));
    assert.equal(e.kind, 'timeout');
    assert.equal(e.retryable, true);
    assert.ok(Date.now() - started < 1500, 'did not wait for the slow answer');
  });

  test('malformed bodies become typed errors, never crashes, and are not retried', async () => {
    reset();
    const s = await client.createServer(createPayload(sim, 'malformed-1', { t: 'malformed' }));
    sim.setFaults({ operations: { GetServer: { malformedRate: 1, malformedKind: 'missing-required' } } });
    const missing = await apiError(client.getServer(s.id));
    assert.equal(missing.kind, 'malformed-response');
    assert.match(missing.message, /^GetServer returned a server without `(name|machineType)`/);
    assert.equal(missing.retryable, false);

    sim.setFaults({ operations: { GetServer: { malformedRate: 1, malformedKind: 'invalid-json' } } });
    const broken = await apiError(client.getServer(s.id));
    assert.equal(broken.kind, 'malformed-response');
    assert.equal(broken.attempts, 1);

    // An unknown status is still a valid server: the spec's status is a free string.
    sim.setFaults({ operations: { GetServer: { malformedRate: 1, malformedKind: 'unknown-status' } } });
    assert.equal((await client.getServer(s.id)).status, 'SIMULATOR-UNKNOWN-STATUS');
    sim.setFaults({});
    await client.deleteServer(s.id);
  });

  test('quota exhaustion is a final 403; capacity shortage ends the server in ERROR', async () => {
    reset();
    sim.setFaults({ quotaExceeded: { probability: 1 } });
    const quota = await apiError(client.createServer(createPayload(sim, 'quota-1', {})));
    assert.equal(quota.status, 403);
    assert.equal(quota.retryable, false);
    assert.match(quota.body?.msg ?? '', /quota/);

    sim.setFaults({ capacityExhausted: { probability: 1 } });
    const s = await client.createServer(createPayload(sim, 'capacity-1', {}));
    const failed = await waitFor('ERROR', async () => {
      const got = await client.getServer(s.id);
      return got.status === 'ERROR' ? got : undefined;
    });
    assert.match(failed.errorMessage ?? '', /not enough hosts/);
    sim.setFaults({});
    await client.deleteServer(s.id);
  });
});
