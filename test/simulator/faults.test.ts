import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { RunningSimulator } from '../../src/simulator/index.ts';
import { admin, call, createServer, projectPath, start, waitFor, waitForStatus } from './helpers.ts';

describe('fault injection', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await start({ bootDelayMs: 30, deleteDelayMs: 30 });
  });
  beforeEach(() => {
    sim.setFaults({});
    sim.resetCounters();
  });
  after(() => sim.close());

  const list = (opts = {}) => call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`, opts);

  test('latency delays the chosen operation only', async () => {
    sim.setFaults({ operations: { ListServers: { latency: { ms: 250 } } } });
    let t = performance.now();
    await list();
    assert.ok(performance.now() - t >= 240, 'ListServers was delayed');
    t = performance.now();
    await call(sim, 'ListImages', 'GET', `${projectPath(sim)}/images`);
    assert.ok(performance.now() - t < 240, 'ListImages was not');
    assert.equal(sim.counters().faults.latency, 1);
  });

  test('a latency spike with probability 0 never fires; ranges are honoured', async () => {
    sim.setFaults({ operations: { '*': { latency: [{ ms: [0, 5] }, { ms: 5000, probability: 0 }] } } });
    const t = performance.now();
    await list();
    assert.ok(performance.now() - t < 1000);
  });

  test('errorRate answers the configured 5xx with {code, msg}', async () => {
    sim.setFaults({
      operations: { GetServer: { errorRate: 1, errorStatus: 503, errorMessage: 'service unavailable' } },
    });
    const r = await call(
      sim,
      'GetServer',
      'GET',
      `${projectPath(sim)}/servers/00000000-0000-4000-8000-000000000000`,
    );
    assert.equal(r.status, 503);
    assert.deepEqual(r.body, { code: 503, msg: 'service unavailable' });
    assert.equal((await list()).status, 200);
    const c = sim.counters();
    assert.equal(c.byOperationAndStatus.GetServer?.['503'], 1);
    assert.equal(c.faults.error, 1);
  });

  test('errorAfterCommit creates the server but loses the answer', async () => {
    sim.setFaults({ operations: { CreateServer: { errorRate: 1, errorAfterCommit: true } } });
    const r = await call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`, {
      body: {
        name: 'lost-answer',
        machineType: 'c2i.2',
        imageId: sim.defaults.imageId,
        networking: { networkId: sim.defaults.networkId },
      },
    });
    assert.equal(r.status, 500);
    assert.ok(sim.servers().some((s) => s.name === 'lost-answer'));
  });

  test('rateLimitRate answers 429 Too Many Requests with Retry-After', async () => {
    sim.setFaults({ operations: { '*': { rateLimitRate: 1, retryAfterSeconds: 7 } } });
    const r = await list();
    assert.equal(r.status, 429);
    assert.deepEqual(r.body, { code: 429, msg: 'Too Many Requests' });
    assert.equal(r.headers.get('retry-after'), '7');
    assert.equal(sim.counters().byStatus['429'], 1);
  });

  test('capacity exhaustion sends matching servers to ERROR with the Nova message', async () => {
    sim.setFaults({ capacityExhausted: { machineTypes: ['m2i.8'] } });
    const big = await createServer(sim, { name: 'big', machineType: 'm2i.8' });
    const small = await createServer(sim, { name: 'small', machineType: 'c2i.2' });
    const failed = await waitForStatus(sim, big.id, 'ERROR');
    assert.equal(failed.errorMessage, 'No valid host was found. There are not enough hosts available.');
    await waitForStatus(sim, small.id, 'ACTIVE');
    assert.equal(sim.counters().faults.capacityExhausted, 1);
  });

  test('quota exhaustion answers CreateServer with 403 quota exceeded', async () => {
    sim.setFaults({ quotaExceeded: { resource: 'vCPU' } });
    const r = await call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`, {
      body: {
        name: 'over-quota',
        machineType: 'c2i.2',
        imageId: sim.defaults.imageId,
        networking: { networkId: sim.defaults.networkId },
      },
    });
    assert.equal(r.status, 403);
    assert.match(r.body.msg, /^quota exceeded: vCPU/);
    assert.ok(!sim.servers().some((s) => s.name === 'over-quota'));
  });

  test('bootFailure by name pattern ends those servers in ERROR', async () => {
    sim.setFaults({ bootFailure: { namePattern: '^doomed-', message: 'kernel panic' } });
    const doomed = await createServer(sim, { name: 'doomed-1' });
    const fine = await createServer(sim, { name: 'fine-1' });
    const s = await waitForStatus(sim, doomed.id, 'ERROR');
    assert.equal(s.errorMessage, 'kernel panic');
    await waitForStatus(sim, fine.id, 'ACTIVE');
  });

  test('stuckDeleting keeps servers in DELETING for ever', async () => {
    sim.setFaults({ stuckDeleting: { namePattern: '^sticky' } });
    const sticky = await createServer(sim, { name: 'sticky-1' });
    const normal = await createServer(sim, { name: 'normal-1' });
    for (const s of [sticky, normal]) {
      assert.equal(
        (await call(sim, 'DeleteServer', 'DELETE', `${projectPath(sim)}/servers/${s.id}`)).status,
        204,
      );
    }
    await waitFor('normal server gone', async () => {
      const r = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${normal.id}`);
      return r.status === 404 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 100));
    const stuck = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${sticky.id}`);
    assert.equal(stuck.body.status, 'DELETING');
  });

  test('malformed responses: invalid JSON, missing required fields, unknown status', async () => {
    const s = await createServer(sim, { name: 'malformed' });
    const path = `${projectPath(sim)}/servers/${s.id}`;
    sim.setFaults({ operations: { GetServer: { malformedRate: 1, malformedKind: 'invalid-json' } } });
    const bad = await call(sim, 'GetServer', 'GET', path, { noSpec: true });
    assert.equal(bad.status, 200);
    assert.throws(() => JSON.parse(bad.text));

    sim.setFaults({ operations: { GetServer: { malformedRate: 1, malformedKind: 'missing-required' } } });
    const missing = await call(sim, 'GetServer', 'GET', path, { noSpec: true });
    assert.equal('name' in missing.body, false);
    assert.equal('machineType' in missing.body, false);

    sim.setFaults({ operations: { ListServers: { malformedRate: 1, malformedKind: 'missing-required' } } });
    assert.deepEqual((await list({ noSpec: true })).body, {});

    sim.setFaults({ operations: { ListServers: { malformedRate: 1, malformedKind: 'unknown-status' } } });
    const unknown = await list();
    assert.ok(unknown.body.items.every((i: { status: string }) => i.status === 'SIMULATOR-UNKNOWN-STATUS'));
    assert.equal(sim.counters().faults.malformed, 4);
  });

  test('faults can be read and replaced over the admin API; invalid profiles are refused', async () => {
    const put = await admin(sim, 'PUT', '/faults', { operations: { ListServers: { errorRate: 1 } } });
    assert.equal(put.status, 200);
    assert.deepEqual((await admin(sim, 'GET', '/faults')).body, {
      operations: { ListServers: { errorRate: 1 } },
    });
    assert.equal((await list()).status, 500);
    const bad = await admin(sim, 'PUT', '/faults', {
      operations: { ListServers: { errorRate: 2 } },
      typo: true,
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.msg, /errorRate|typo/);
    assert.equal((await admin(sim, 'DELETE', '/faults')).status, 204);
    assert.equal((await list()).status, 200);
  });

  test('the token endpoint takes faults named Token only', async () => {
    const post = () =>
      fetch(sim.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=password',
      });
    sim.setFaults({ operations: { '*': { errorRate: 1 } } });
    assert.equal((await post()).status, 400, 'a wildcard leaves the token endpoint alone');
    sim.setFaults({ operations: { Token: { rateLimitRate: 1, retryAfterSeconds: 3 } } });
    const r = await post();
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '3');
    assert.equal(sim.counters().byOperationAndStatus.Token?.['429'], 1);
  });

  test('the same randomSeed gives the same fault decisions', async () => {
    const outcomes: string[] = [];
    for (let run = 0; run < 2; run++) {
      const s = await start({ randomSeed: 42, faults: { operations: { ListServers: { errorRate: 0.5 } } } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 20; i++)
          statuses.push((await call(s, 'ListServers', 'GET', `${projectPath(s)}/servers`)).status);
        outcomes.push(statuses.join(','));
        assert.ok(statuses.includes(200) && statuses.includes(500));
      } finally {
        await s.close();
      }
    }
    assert.equal(outcomes[0], outcomes[1]);
  });
});
