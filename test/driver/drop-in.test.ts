// Switching from the existing Go provider: its servers (same labels, same ProviderID format, no
// namespace label) are recognised, adopted and deleted, with no duplicate and no orphan. Adoption
// needs proof: a Machine of this namespace whose ProviderID names the server.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import {
  apiRequest,
  createServerDirectly,
  ctx,
  type Env,
  machineClass,
  mcmCreate,
  mcmDelete,
  minimalSpec,
  request,
  secretFor,
  startEnv,
  withProviderId,
} from './helpers.ts';

const NS_LABEL = 'machine.sapcloud.io/namespace';

/** Labels of the Go provider's releases: v0.3.0 and later, and v0.1.0-v0.2.0. */
const goLabels = {
  current: (machine: string, cls: string) => ({
    'kubernetes.io/machine': machine,
    'kubernetes.io/machineclass': cls,
  }),
  oldest: (machine: string, cls: string) => ({
    'mcm.gardener.cloud/machine': machine,
    'mcm.gardener.cloud/machineclass': cls,
    'mcm.gardener.cloud/role': 'node',
  }),
};

/** A server's labels as the simulator holds them. */
const labelsOf = (env: Env, id: string) =>
  (env.sim.servers().find((s) => s.id === id)?.labels ?? {}) as Record<string, string>;

/** A logger whose JSON lines the test can read. */
function capturingLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

describe('drop-in for the Go provider', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(() => env.close());

  test('a server the Go provider created is adopted, listed and deleted; no second server', async () => {
    const d = env.sim.defaults;
    // What the Go provider sends: machine + class labels, name = Machine name, its Secret keys.
    const legacyId = await createServerDirectly(env, 'legacy-1', {
      'kubernetes.io/machine': 'legacy-1',
      'kubernetes.io/machineclass': 'class-a',
    });
    const providerId = `stackit://${d.projectId}/${legacyId}`;
    // The Go provider's Secret keys.
    const secret = secretFor(env);
    const gardenerSecret = {
      'project-id': secret.projectId!,
      'serviceaccount.json': secret.serviceAccountKey!,
      region: secret.region!,
      networkId: secret.networkId!,
      userData: secret.userData!,
    };
    const req = withProviderId(
      request(env, 'legacy-1', minimalSpec(env), { secret: gardenerSecret }),
      providerId,
    );
    await new Promise((r) => setTimeout(r, 300));
    const st = await env.driver.getMachineStatus(req, ctx());
    assert.equal(st.providerId, providerId, 'same ProviderID format, byte for byte');
    const list = await env.driver.listMachines({ machineClass: req.machineClass, secret: req.secret }, ctx());
    assert.deepEqual(list.machineList, { [providerId]: 'legacy-1' }, 'adopted: now listed');
    const again = await mcmCreate(env, req);
    assert.equal(again.providerId, providerId);
    assert.equal(env.sim.servers().filter((s) => s.name === 'legacy-1').length, 1, 'no duplicate');
    await mcmDelete(env, req);
    assert.equal(env.sim.servers().filter((s) => s.name === 'legacy-1').length, 0);
  });

  test('ListMachines adopts the servers of its Machines (both label generations) and leaves the others alone', async () => {
    const d = env.sim.defaults;
    const cls = 'class-switch';
    const newGen = await createServerDirectly(env, 'sw-new', goLabels.current('sw-new', cls));
    const oldGen = await createServerDirectly(env, 'sw-old', goLabels.oldest('sw-old', cls));
    // Their Machines are gone (deleted while no controller ran), or another cluster in the same
    // project owns them: one even claims the name of a Machine here.
    const goneNew = await createServerDirectly(env, 'gone-new', goLabels.current('gone-new', cls));
    const goneOld = await createServerDirectly(env, 'gone-old', goLabels.oldest('gone-old', cls));
    const twin = await createServerDirectly(env, 'sw-new-elsewhere', goLabels.current('sw-new', cls));
    const unowned = [goneNew, goneOld, twin];
    // The Go provider wrote the project ID as its Secret had it: MCM compares the list's keys with
    // the Machines' ProviderIDs byte for byte, so the list must return them as stored.
    const machines = {
      'sw-new': `stackit://${d.projectId.toUpperCase()}/${newGen}`,
      'sw-old': `stackit://${d.projectId}/${oldGen}`,
      'not-created-yet': '',
      'of-another-class': `stackit://${d.projectId}/00000000-0000-4000-8000-000000000000`,
    };
    const list = (m?: Record<string, string>, log = ctx().log) =>
      env.driver.listMachines(
        { machineClass: machineClass(cls, minimalSpec(env)), secret: secretFor(env), machines: m },
        { ...ctx(), log },
      );

    const { log, lines } = capturingLog();
    const first = await list(machines, log);
    assert.deepEqual(first.machineList, { [machines['sw-new']]: 'sw-new', [machines['sw-old']]: 'sw-old' });
    for (const [id, name] of [
      [newGen, 'sw-new'],
      [oldGen, 'sw-old'],
    ] as const) {
      const labels = labelsOf(env, id);
      assert.equal(labels[NS_LABEL], 'shoot--test', `${name} labelled with the namespace`);
      assert.equal(labels['kubernetes.io/machine'], name);
      assert.equal(labels['kubernetes.io/machineclass'], cls);
    }
    assert.equal(labelsOf(env, oldGen)['mcm.gardener.cloud/role'], 'node');
    for (const id of unowned) {
      assert.equal(labelsOf(env, id)[NS_LABEL], undefined, `${id} untouched`);
    }
    const reports = lines.filter((l) => String(l.msg).includes('left alone'));
    assert.equal(reports.length, 1, 'one log line per listing');
    assert.equal(reports[0]!.count, 3);
    for (const id of unowned) assert.match(String(reports[0]!.servers), new RegExp(id));
    assert.match(
      await env.driver.metrics.exposition(),
      new RegExp(`stackit_unowned_legacy_servers\\{machine_class="${cls}"\\} 3`),
    );

    // Adopted for good: listed with no Machines sent (and so collected once their Machine is gone),
    // while the unprovable ones stay out of every list.
    const later = await list(undefined);
    assert.deepEqual(later.machineList, {
      [`stackit://${d.projectId}/${newGen}`]: 'sw-new',
      [`stackit://${d.projectId}/${oldGen}`]: 'sw-old',
    });
    const withoutMachines = await list({});
    assert.deepEqual(Object.values(withoutMachines.machineList).sort(), ['sw-new', 'sw-old']);
    for (const id of [newGen, oldGen, ...unowned]) await apiRequest(env, 'DELETE', `/servers/${id}`);
  });

  test('GetMachineStatus adopts a v0.1.0-v0.2.0 server its ProviderID names, not one found by name alone', async () => {
    const d = env.sim.defaults;
    const oldGen = await createServerDirectly(env, 'gms-old', goLabels.oldest('gms-old', 'class-a'));
    const providerId = `stackit://${d.projectId}/${oldGen}`;
    const req = withProviderId(request(env, 'gms-old', minimalSpec(env)), providerId);
    await new Promise((r) => setTimeout(r, 300));
    const st = await env.driver.getMachineStatus(req, ctx());
    assert.equal(st.providerId, providerId);
    const labels = labelsOf(env, oldGen);
    assert.equal(labels[NS_LABEL], 'shoot--test');

    // No ProviderID yet: the server labelled with the Machine's name is used, but not adopted.
    const byName = await createServerDirectly(env, 'gms-name', goLabels.current('gms-name', 'class-a'));
    await new Promise((r) => setTimeout(r, 300));
    const found = await env.driver.getMachineStatus(request(env, 'gms-name', minimalSpec(env)), ctx());
    assert.equal(found.providerId, `stackit://${d.projectId}/${byName}`);
    const untouched = labelsOf(env, byName);
    assert.equal(untouched[NS_LABEL], undefined);
    for (const id of [oldGen, byName]) await apiRequest(env, 'DELETE', `/servers/${id}`);
  });
});
