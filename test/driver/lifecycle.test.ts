// The STACKIT driver against the simulator over HTTP: what a Machine's life looks like to MCM.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MachineRequest } from '../../src/driver/types.ts';
import {
  apiRequest,
  codeOf,
  createServerDirectly,
  ctx,
  type Env,
  mcmCreate,
  mcmDelete,
  minimalSpec,
  request,
  sleep,
  startEnv,
  withProviderId,
} from './helpers.ts';

describe('STACKIT driver lifecycle', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(() => env.close());

  test('create -> ACTIVE -> Running identity -> delete -> gone, with few API calls', async () => {
    env.sim.resetCounters();
    const spec = minimalSpec(env, { allowedAddresses: ['10.96.0.0/11', '100.64.0.0/12'] });
    const req = request(env, 'shoot--test-worker-a-1', spec);
    const first = await env.driver.createMachine(req, ctx());
    const [booting] = env.sim.servers().filter((s) => s.name === 'shoot--test-worker-a-1');
    assert.equal(booting?.status, 'CREATING');
    assert.equal(
      first.providerId,
      `stackit://${env.sim.defaults.projectId}/${booting.id}`,
      'CreateMachine hands out the ProviderID while the server boots',
    );
    assert.equal(first.nodeName, 'shoot--test-worker-a-1');

    const { providerId, nodeName } = await mcmCreate(env, withProviderId(req, first.providerId));
    const [server] = env.sim.servers().filter((s) => s.name === 'shoot--test-worker-a-1');
    assert.ok(server);
    assert.equal(providerId, first.providerId);
    assert.equal(nodeName, 'shoot--test-worker-a-1');
    assert.equal(server.status, 'ACTIVE');
    for (const nic of server.nics ?? []) {
      assert.deepEqual([...(nic.allowedAddresses ?? [])].sort(), ['10.96.0.0/11', '100.64.0.0/12']);
    }
    const status = await env.driver.getMachineStatus(withProviderId(req, providerId), ctx());
    assert.equal(status.providerId, providerId);
    assert.ok(status.addresses?.some((a) => a.type === 'InternalIP' && a.address === server.nics?.[0]?.ipv4));

    await mcmDelete(env, withProviderId(req, providerId));
    assert.equal(env.sim.servers().filter((s) => s.id === server.id).length, 0);
    const gone = withProviderId(req, providerId);
    gone.machine.metadata = { ...gone.machine.metadata, deletionTimestamp: new Date().toISOString() };
    const after = await codeOf(env.driver.getMachineStatus(gone, ctx()));
    assert.equal(after, 5, 'NotFound once the server is gone (deletion flow)');

    const c = env.sim.counters().byOperation;
    assert.equal(c.CreateServer, 1);
    assert.equal(c.DeleteServer, 1);
    assert.equal(c.GetServer ?? 0, 1, 'one GET proves the server gone');
  });

  test('CreateMachine is idempotent: concurrent and repeated calls make one server', async () => {
    const req = request(env, 'idem-1', minimalSpec(env));
    await Promise.all([1, 2, 3].map(() => env.driver.createMachine(req, ctx()).catch(() => undefined)));
    await env.driver.createMachine(req, ctx()).catch(() => undefined);
    const { providerId } = await mcmCreate(env, req);
    await sleep(300); // duplicates of the racing calls are deleted by the next call
    const servers = env.sim.servers().filter((s) => s.labels?.['kubernetes.io/machine'] === 'idem-1');
    assert.equal(servers.length, 1);
    assert.ok(providerId.endsWith(servers[0]!.id));
    await mcmDelete(env, withProviderId(req, providerId));
  });

  test('a create whose response was lost is found again, not duplicated', async () => {
    env.sim.setFaults({
      operations: { CreateServer: { errorRate: 1, errorStatus: 502, errorAfterCommit: true } },
    });
    const req = request(env, 'lost-response-1', minimalSpec(env));
    const code = await codeOf(env.driver.createMachine(req, ctx()));
    assert.equal(code, 14, '502 on create is Unavailable');
    env.sim.setFaults({});
    const { providerId } = await mcmCreate(env, req);
    const servers = env.sim
      .servers()
      .filter((s) => s.labels?.['kubernetes.io/machine'] === 'lost-response-1');
    assert.equal(servers.length, 1, 'the server the lost response created is adopted');
    await mcmDelete(env, withProviderId(req, providerId));
  });

  // A second server with the given labels, as a crash or two controllers at once can leave.
  const createServerLike = (name: string, labels: Record<string, string>, metadata: object = {}) =>
    createServerDirectly(env, name, labels, metadata);
  const serversLabelled = (machineName: string) =>
    env.sim.servers().filter((s) => s.labels?.['kubernetes.io/machine'] === machineName);

  test('a duplicate server of one Machine is deleted, the other kept', async () => {
    const req = request(env, 'dup-1', minimalSpec(env));
    const { providerId } = await mcmCreate(env, req);
    const keep = providerId.split('/').pop()!;
    const orig = env.sim.servers().find((s) => s.id === keep)!;
    const dupId = await createServerLike('dup-1', orig.labels ?? {}, orig.metadata ?? {});
    await env.driver.createMachine(withProviderId(req, providerId), ctx());
    await sleep(300);
    assert.deepEqual(
      serversLabelled('dup-1').map((s) => s.id),
      [keep],
    );
    assert.notEqual(dupId, keep);
    await mcmDelete(env, withProviderId(req, providerId));
  });

  test('once a Machine has a ProviderID, GetMachineStatus deletes a duplicate of this cluster only', async () => {
    const req = request(env, 'dup-2', minimalSpec(env));
    const { providerId } = await mcmCreate(env, req);
    const keep = providerId.split('/').pop()!;
    const orig = env.sim.servers().find((s) => s.id === keep)!;
    const labels = orig.labels ?? {};
    // Ours: same Machine, same namespace (a dead leader's in-flight create landing late).
    const dupId = await createServerLike('dup-2', labels, orig.metadata ?? {});
    // Not ours to judge: another cluster's namespace, and a Go-provider server (no namespace label).
    const { 'machine.sapcloud.io/namespace': _ns, ...withoutNamespace } = labels;
    const otherCluster = await createServerLike('dup-2', {
      ...labels,
      'machine.sapcloud.io/namespace': 'shoot--other--cluster',
    });
    const legacy = await createServerLike('dup-2', withoutNamespace);
    // The inventory is shared and a few seconds old: wait until a list has seen the duplicate.
    let status = await env.driver.getMachineStatus(withProviderId(req, providerId), ctx());
    for (let i = 0; i < 40 && serversLabelled('dup-2').some((s) => s.id === dupId); i++) {
      await sleep(250);
      status = await env.driver.getMachineStatus(withProviderId(req, providerId), ctx());
    }
    assert.equal(status.providerId, providerId, 'the ProviderID server is still the one reported');
    const left = serversLabelled('dup-2').map((s) => s.id);
    assert.ok(!left.includes(dupId), 'the duplicate is deleted');
    assert.deepEqual(new Set(left), new Set([keep, otherCluster, legacy]));
    await mcmDelete(env, withProviderId(req, providerId));
    for (const id of [otherCluster, legacy]) await apiRequest(env, 'DELETE', `/servers/${id}`);
  });

  test('DeleteMachine works from the ProviderID alone (safety controller) and never by label then', async () => {
    const a = request(env, 'orphan-owner', minimalSpec(env));
    const { providerId } = await mcmCreate(env, a);
    // A dummy Machine as the safety controller builds it: name + ProviderID of another server.
    const other = request(env, 'orphan-owner', minimalSpec(env), {
      providerID: `stackit://${env.sim.defaults.projectId}/00000000-0000-4000-8000-000000000000`,
    });
    assert.equal(await codeOf(env.driver.deleteMachine(other, ctx())), 'OK', 'absent server: nothing to do');
    assert.equal(
      env.sim.servers().filter((s) => providerId.endsWith(s.id)).length,
      1,
      'the label twin survives',
    );
    await mcmDelete(env, withProviderId(a, providerId));
    assert.equal(env.sim.servers().filter((s) => providerId.endsWith(s.id)).length, 0);
  });

  test("orphan collection's stand-in Machine gets OK once the deletion is accepted, and one DELETE", async () => {
    const req = request(env, 'orphan-1', minimalSpec(env));
    const { providerId } = await mcmCreate(env, req);
    const serverId = providerId.split('/').pop()!;
    // What machine_safety.go builds: name, namespace and ProviderID; no uid, no creationTimestamp.
    const standIn = {
      ...req,
      machine: {
        apiVersion: 'machine.sapcloud.io/v1alpha1',
        kind: 'Machine',
        metadata: { name: 'orphan-1', namespace: req.machine.metadata?.namespace },
        spec: { providerID: providerId },
      },
    } as MachineRequest;
    env.sim.resetCounters();
    // Held in DELETING, so both kinds of caller see the same in-between state.
    env.sim.setFaults({ stuckDeleting: { probability: 1 } });
    assert.equal(await codeOf(env.driver.deleteMachine(standIn, ctx())), 'OK');
    assert.equal(env.sim.servers().find((s) => s.id === serverId)?.status, 'DELETING');
    assert.equal(await codeOf(env.driver.deleteMachine(standIn, ctx())), 'OK', 'the next sync too');
    assert.equal(env.sim.counters().byOperation.DeleteServer, 1, 'no second DELETE while DELETING');
    // A stored Machine (uid set) still waits until the server is gone.
    const stored = withProviderId(req, providerId);
    assert.equal(await codeOf(env.driver.deleteMachine(stored, ctx())), 14, 'Unavailable while DELETING');
    env.sim.setFaults({});
    env.sim.setServerState(serverId, { status: 'ACTIVE' });
    await mcmDelete(env, stored);
    assert.equal(env.sim.servers().filter((s) => s.id === serverId).length, 0);
  });

  test('DeleteMachine without a ProviderID deletes what the create made (by label)', async () => {
    const req = request(env, 'no-pid-delete', minimalSpec(env));
    await env.driver.createMachine(req, ctx()).catch(() => undefined);
    assert.equal(env.sim.servers().filter((s) => s.name === 'no-pid-delete').length, 1);
    await mcmDelete(env, req);
    assert.equal(env.sim.servers().filter((s) => s.name === 'no-pid-delete').length, 0);
  });
});
