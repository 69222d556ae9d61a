import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DueQueue } from '../../src/simulator/scheduler.ts';
import { call, createServer, projectPath, start, waitFor } from './helpers.ts';

describe('many servers', () => {
  test('a thousand servers each get a distinct address, all become ACTIVE and all go away', async () => {
    const sim = await start({ bootDelayMs: 200, deleteDelayMs: 200 });
    try {
      const ids: string[] = [];
      const workers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = w; i < 1000; i += 16)
          ids.push((await createServer(sim, { name: `scale-${i}`, labels: { batch: 'b1' } })).id);
      });
      await Promise.all(workers);
      await waitFor(
        'all ACTIVE',
        async () => {
          const r = await call(
            sim,
            'ListServers',
            'GET',
            `${projectPath(sim)}/servers?label_selector=batch=b1`,
          );
          return r.body.items.length === 1000 &&
            r.body.items.every((s: { status: string }) => s.status === 'ACTIVE')
            ? true
            : undefined;
        },
        20_000,
      );
      const ips = sim.servers().map((s) => s.nics?.[0]?.ipv4);
      assert.equal(new Set(ips).size, 1000);
      await Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = w; i < ids.length; i += 16)
            await call(sim, 'DeleteServer', 'DELETE', `${projectPath(sim)}/servers/${ids[i]}`);
        }),
      );
      await waitFor('all gone', async () => (sim.servers().length === 0 ? true : undefined), 20_000);
      const nics = await call(sim, 'ListProjectNICs', 'GET', `${projectPath(sim)}/nics`);
      assert.equal(nics.body.items.length, 1, 'only the seeded free port is left');
    } finally {
      await sim.close();
    }
  });

  test('the due queue hands out entries in time order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 })),
        fc.integer({ min: 0, max: 1000 }),
        (times, now) => {
          const q = new DueQueue();
          times.forEach((at, i) => {
            q.push({ at, serverId: String(i) });
          });
          const popped = q.popDue(now).map((d) => d.at);
          assert.deepEqual(
            popped,
            times.filter((t) => t <= now).sort((a, b) => a - b),
          );
          assert.equal(q.size, times.filter((t) => t > now).length);
        },
      ),
    );
  });
});
