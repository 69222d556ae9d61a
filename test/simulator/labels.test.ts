import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningSimulator } from '../../src/simulator/index.ts';
import { call, createServer, projectPath, start } from './helpers.ts';

describe('label_selector on ListServers', () => {
  let sim: RunningSimulator;
  const ids: Record<string, string> = {};
  before(async () => {
    sim = await start();
    const labelled: Record<string, Record<string, string>> = {
      a: { 'kubernetes.io/cluster': 'shoot--p--one', 'kubernetes.io/machine': 'm-a', role: 'worker' },
      b: { 'kubernetes.io/cluster': 'shoot--p--one', 'kubernetes.io/machine': 'm-b' },
      c: { 'kubernetes.io/cluster': 'shoot--p--two', role: 'worker' },
      d: {},
    };
    for (const [name, labels] of Object.entries(labelled))
      ids[name] = (await createServer(sim, { name, labels })).id;
  });
  after(() => sim.close());

  async function select(selector: string): Promise<string[]> {
    const r = await call(
      sim,
      'ListServers',
      'GET',
      `${projectPath(sim)}/servers?label_selector=${encodeURIComponent(selector)}`,
    );
    assert.equal(r.status, 200, r.text);
    const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
    return r.body.items.map((s: { id: string }) => byId[s.id]).sort();
  }

  test('k=v matches exactly, keys may contain "/"', async () => {
    assert.deepEqual(await select('kubernetes.io/cluster=shoot--p--one'), ['a', 'b']);
    assert.deepEqual(await select('kubernetes.io/machine=m-b'), ['b']);
    assert.deepEqual(await select('kubernetes.io/machine=m-'), []);
  });

  test('comma-separated terms are ANDed', async () => {
    assert.deepEqual(await select('kubernetes.io/cluster=shoot--p--one,role=worker'), ['a']);
    assert.deepEqual(await select('kubernetes.io/cluster=shoot--p--two,role=worker'), ['c']);
    assert.deepEqual(await select('kubernetes.io/cluster=shoot--p--two,kubernetes.io/machine=m-a'), []);
  });

  test('a bare key means "has this label"', async () => {
    assert.deepEqual(await select('role'), ['a', 'c']);
    assert.deepEqual(await select('kubernetes.io/machine'), ['a', 'b']);
    assert.deepEqual(await select('kubernetes.io/machine,role'), ['a']);
  });

  test('k!=v keeps servers without the label or with another value', async () => {
    assert.deepEqual(await select('kubernetes.io/cluster!=shoot--p--one'), ['c', 'd']);
  });

  test('no selector lists everything; an empty term is a 400 naming label_selector', async () => {
    assert.deepEqual(await select(''), ['a', 'b', 'c', 'd']);
    const r = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers?label_selector=a%3D1,,b`);
    assert.equal(r.status, 400);
    assert.match(r.body.msg, /label_selector/);
  });

  test('label keys and values are limited to 63 characters; "stackit-" is reserved', async () => {
    const base = {
      name: 'bad-labels',
      machineType: 'c2i.2',
      imageId: sim.defaults.imageId,
      networking: { networkId: sim.defaults.networkId },
    };
    for (const labels of [
      { ['k'.repeat(64)]: 'v' },
      { k: 'v'.repeat(64) },
      { 'stackit-owned': 'x' },
      { 'bad key': 'x' },
      { k: 1 },
    ]) {
      const r = await call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`, {
        body: { ...base, labels },
      });
      assert.equal(r.status, 400, JSON.stringify(labels));
      assert.match(r.body.msg, /^labels/);
    }
    const ok = await call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`, {
      body: { ...base, labels: { [`kubernetes.io/${'m'.repeat(49)}`]: 'v'.repeat(63) } },
    });
    assert.equal(ok.status, 201, ok.text);
  });
});
