import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { admin, call, createServer, projectPath, start, waitFor, waitForStatus } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stackit-sim-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('admin API', () => {
  test('counters count calls per operation and status; DELETE clears them', async () => {
    const sim = await start();
    try {
      await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`);
      await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`);
      await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/00000000-0000-4000-8000-000000000000`);
      const c = (await admin(sim, 'GET', '/counters')).body;
      assert.equal(c.total, 3);
      assert.deepEqual(c.byOperation, { ListServers: 2, GetServer: 1 });
      assert.deepEqual(c.byStatus, { 200: 2, 404: 1 });
      assert.deepEqual(c.byOperationAndStatus.GetServer, { 404: 1 });
      assert.equal((await admin(sim, 'DELETE', '/counters')).status, 204);
      assert.equal(sim.counters().total, 0);
    } finally {
      await sim.close();
    }
  });

  test('GET /admin/servers lists every project’s servers with details; reset returns to the seed', async () => {
    const sim = await start();
    try {
      const other = (await admin(sim, 'POST', '/projects', {})).body;
      const a = await createServer(sim, { name: 'in-default' });
      const b = await call(sim, 'CreateServer', 'POST', `${projectPath(sim, other.id)}/servers`, {
        body: {
          name: 'in-other',
          machineType: 'c2i.2',
          imageId: sim.defaults.imageId,
          networking: { networkId: other.networks[0].id },
        },
      });
      assert.equal(b.status, 201, b.text);
      // Projects are separate: the other project's server is invisible here.
      const mine = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${b.body.id}`);
      assert.equal(mine.status, 404);

      const items = (await admin(sim, 'GET', '/servers')).body.items;
      assert.equal(items.length, 2);
      const byName = Object.fromEntries(items.map((s: { name: string }) => [s.name, s]));
      assert.equal(byName['in-default'].projectId, sim.defaults.projectId);
      assert.equal(byName['in-other'].projectId, other.id);
      assert.equal(byName['in-other'].region, 'eu01');
      assert.match(byName['in-default'].nics[0].ipv4, /^10\.250\./);

      assert.equal((await admin(sim, 'PATCH', `/servers/${a.id}`, { powerStatus: 'CRASHED' })).status, 204);
      const crashed = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${a.id}`);
      assert.equal(crashed.body.powerStatus, 'CRASHED');

      assert.equal((await admin(sim, 'POST', '/reset')).status, 204);
      assert.deepEqual((await admin(sim, 'GET', '/servers')).body.items, []);
      // Added projects survive a reset.
      assert.equal(
        (await call(sim, 'ListServers', 'GET', `${projectPath(sim, other.id)}/servers`)).status,
        200,
      );
      assert.equal((await admin(sim, 'GET', '/healthz')).body.status, 'ok');
    } finally {
      await sim.close();
    }
  });
});

describe('state file', () => {
  test('a restarted simulator keeps its servers, their progress, and service-account keys', async () => {
    const stateFile = join(tmp, 'state.json');
    const first = await start({ stateFile, noAuth: false, bootDelayMs: 300 });
    let serverId: string;
    let token: string;
    let kid: string;
    try {
      const key = await first.createServiceAccountKey({ name: 'persisted' });
      kid = key.credentials.kid;
      token = await first.mintAccessToken(kid);
      serverId = (await createServer(first, { name: 'survivor', labels: { keep: 'me' } }, token)).id;
    } finally {
      await first.close();
    }
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
    assert.ok(!readFileSync(stateFile, 'utf8').includes('PRIVATE KEY'), 'private keys are never persisted');

    const second = await start({ stateFile, noAuth: false, bootDelayMs: 300 });
    try {
      // The old token still verifies: the signing secret and key survived.
      const s = await waitForStatus(second, serverId, 'ACTIVE', token);
      assert.deepEqual(s.labels, { keep: 'me' });
      const fresh = await second.mintAccessToken(kid);
      const del = await call(second, 'DeleteServer', 'DELETE', `${projectPath(second)}/servers/${serverId}`, {
        token: fresh,
      });
      assert.equal(del.status, 204);
    } finally {
      await second.close();
    }
    const third = await start({ stateFile, noAuth: true, deleteDelayMs: 10 });
    try {
      await waitFor('deleted server to be gone after restart', async () => {
        const r = await call(third, 'GetServer', 'GET', `${projectPath(third)}/servers/${serverId}`);
        return r.status === 404 ? true : undefined;
      });
    } finally {
      await third.close();
    }
  });
});

describe('stackit-simulator CLI', () => {
  test('prints its URLs, serves, writes a key file and stops cleanly on SIGTERM', async () => {
    const main = fileURLToPath(new URL('../../src/simulator/main.ts', import.meta.url));
    const keyFile = join(tmp, 'key.json');
    const faults = join(tmp, 'faults.json');
    writeFileSync(faults, JSON.stringify({ operations: { ListImages: { errorRate: 1 } } }));
    const child = spawn(
      process.execPath,
      [main, '--port', '0', '--no-auth', '--boot-delay', '10', '--faults', faults, '--write-key', keyFile],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    try {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const url = await waitFor(
        'CLI start',
        async () =>
          /listening on (http:\/\/\S+)/.exec(out)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined),
        15_000,
      );
      assert.notEqual(url, 'exited', out);
      assert.match(out, /token endpoint:\s+http:\/\/\S+\/token/);
      const sim = { url };
      const p = '5097f855-d772-4950-ab1c-41b216d0a8d8';
      assert.equal(
        (await call(sim, 'ListServers', 'GET', `/v2/projects/${p}/regions/eu01/servers`)).status,
        200,
      );
      assert.equal(
        (await call(sim, 'ListImages', 'GET', `/v2/projects/${p}/regions/eu01/images`)).status,
        500,
      );
      const key = JSON.parse(readFileSync(keyFile, 'utf8'));
      assert.equal(key.credentials.tokenEndpoint, `${url}/token`);
      assert.equal(statSync(keyFile).mode & 0o777, 0o600);

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('refuses bad flags with a usage message', async () => {
    const main = fileURLToPath(new URL('../../src/simulator/main.ts', import.meta.url));
    const child = spawn(process.execPath, [main, '--port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(err, /--port must be an integer/);
  });
});
