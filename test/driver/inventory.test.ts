// The shared per-class server list: how many list requests a burst of driver calls costs, and that
// a caller who needs the truth never gets a list that started before it asked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServerInventory } from '../../src/driver/stackit/inventory.ts';
import type { Server } from '../../src/iaas/index.ts';

function fakeApi() {
  let clock = 1_000;
  const calls: { startedAt: number; resolve: (s: Server[]) => void }[] = [];
  const servers: Server[] = [];
  const list = () =>
    new Promise<Server[]>((resolve) => {
      calls.push({ startedAt: clock, resolve });
    });
  return {
    calls,
    servers,
    now: () => clock,
    tick: (ms = 1) => {
      clock += ms;
    },
    /** Answers the oldest open list with the servers as they are now. */
    answer: async () => {
      const c = calls.find((x) => x.resolve !== undefined);
      const snapshot = [...servers];
      c?.resolve(snapshot);
      if (c) c.resolve = undefined as never;
      await new Promise((r) => setImmediate(r));
    },
    list,
  };
}

const server = (id: string, status = 'ACTIVE') => ({ id, name: id, machineType: 't1.1', status }) as Server;

describe('server inventory', () => {
  test('a burst of fresh requests while a list runs costs one more list, shared by all', async () => {
    const api = fakeApi();
    const inv = new ServerInventory(api.list, 'sel', { maxAgeMs: 5_000, now: api.now });
    const first = inv.snapshot({ fresh: true });
    api.tick();
    const burst = Array.from({ length: 50 }, () => inv.snapshot({ fresh: true }));
    await api.answer();
    await first;
    assert.equal(api.calls.length, 2, 'one queued list for the whole burst');
    assert.ok(api.calls[1]!.startedAt > api.calls[0]!.startedAt);
    api.servers.push(server('a'));
    await api.answer();
    const snaps = await Promise.all(burst);
    assert.ok(
      snaps.every((s) => s.servers.has('a')),
      'the burst sees the state after it asked',
    );
  });

  test('non-fresh requests reuse a recent list without a request', async () => {
    const api = fakeApi();
    const inv = new ServerInventory(api.list, 'sel', { maxAgeMs: 5_000, now: api.now });
    const p = inv.snapshot();
    await api.answer();
    await p;
    api.tick(1_000);
    await inv.snapshot();
    await inv.snapshot();
    assert.equal(api.calls.length, 1);
    api.tick(5_000);
    const q = inv.snapshot();
    await api.answer();
    await q;
    assert.equal(api.calls.length, 2, 'an old list is refreshed');
  });

  test('own writes show until a list started after them confirms or drops them', async () => {
    const api = fakeApi();
    const inv = new ServerInventory(api.list, 'sel', { maxAgeMs: 60_000, now: api.now });
    const p = inv.snapshot();
    await api.answer();
    await p;
    api.tick();
    inv.upsert(server('new', 'CREATING'));
    assert.equal((await inv.snapshot()).servers.get('new')?.status, 'CREATING');
    inv.markDeleting(server('new', 'CREATING'));
    assert.equal((await inv.snapshot()).servers.get('new')?.status, 'DELETING');
    api.tick();
    const fresh = inv.snapshot({ fresh: true });
    await api.answer(); // the server is gone at STACKIT
    assert.equal((await fresh).servers.has('new'), false, 'a later list is the truth');
  });

  test('a failed list is not cached: the next caller lists again', async () => {
    let n = 0;
    const inv = new ServerInventory(
      async () => {
        n++;
        if (n === 1) throw new Error('boom');
        return [server('x')];
      },
      'sel',
      { maxAgeMs: 60_000 },
    );
    await assert.rejects(inv.snapshot(), /boom/);
    assert.ok((await inv.snapshot()).servers.has('x'));
    assert.equal(n, 2);
  });
});
