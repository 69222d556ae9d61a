import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { repoRoot } from '../../stack/binaries.ts';
import { type ControlPlane, startControlPlane } from '../../stack/control-plane.ts';
import { type NodeSimulator, type SimulatedServer, startNodeSimulator } from '../../stack/node-simulator.ts';
import { type ManagedProcess, startProcess, waitFor } from '../../stack/processes.ts';

// Stand-in for the STACKIT simulator's admin endpoint: GET /admin/servers over real HTTP.
function fakeAdminEndpoint(servers: Map<string, SimulatedServer>, itemShape: 'wrapped' | 'flat') {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/admin/servers') {
      res.writeHead(404).end();
      return;
    }
    const items = [...servers.values()].map((s) =>
      itemShape === 'wrapped'
        ? { projectId: 'p-1', region: 'eu01', server: s }
        : { ...s, projectId: 'p-1', region: 'eu01' },
    );
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items }));
  });
  return server;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function condition(node: V1Node | undefined, type: string): string | undefined {
  return node?.status?.conditions?.find((c) => c.type === type)?.status;
}

function vm(id: string, name: string, status: string, ip = '10.0.0.10'): SimulatedServer {
  return {
    id,
    name,
    status,
    machineType: 'c1.2',
    availabilityZone: 'eu01-1',
    nics: [{ ipv4: ip }],
  };
}

describe('node simulator (fake kubelet)', () => {
  let target: ControlPlane;
  let core: CoreV1Api;
  const admins: Server[] = [];
  const sims: NodeSimulator[] = [];
  const children: ManagedProcess[] = [];

  const getNode = async (name: string) => core.readNode({ name }).catch(() => undefined);

  before(async () => {
    target = await startControlPlane({ name: 'target', installMcmCrds: false });
    core = target.kubeConfig.makeApiClient(CoreV1Api);
  });

  after(async () => {
    await Promise.all(sims.map((s) => s.stop()));
    await Promise.all(children.map((c) => c.stop()));
    await Promise.all(admins.map((a) => new Promise((resolve) => a.close(resolve))));
    await target?.stop();
  });

  test('an ACTIVE server becomes a Ready Node with its providerID and addresses', async () => {
    const servers = new Map<string, SimulatedServer>();
    const admin = fakeAdminEndpoint(servers, 'wrapped');
    admins.push(admin);
    const sim = startNodeSimulator({
      simulatorUrl: await listen(admin),
      targetKubeConfig: target.kubeConfig,
      joinDelayMs: 300,
      pollIntervalMs: 100,
    });
    sims.push(sim);

    servers.set('a1', vm('a1', 'machine-a', 'CREATING'));
    await sim.pollOnce();
    assert.equal(await getNode('machine-a'), undefined, 'no Node while the server is CREATING');

    servers.set('a1', vm('a1', 'machine-a', 'ACTIVE', '10.0.0.11'));
    await waitFor(async () => condition(await getNode('machine-a'), 'Ready') === 'True', {
      timeoutMs: 10_000,
      what: 'Node machine-a Ready',
    });
    const node = await getNode('machine-a');
    assert.equal(node?.spec?.providerID, 'stackit://a1');
    assert.equal(node?.metadata?.labels?.['kubernetes.io/hostname'], 'machine-a');
    assert.equal(node?.metadata?.labels?.['node.kubernetes.io/instance-type'], 'c1.2');
    assert.equal(node?.metadata?.labels?.['topology.kubernetes.io/zone'], 'eu01-1');
    assert.equal(node?.metadata?.labels?.['topology.kubernetes.io/region'], 'eu01');
    assert.deepEqual(
      node?.status?.addresses?.map((a) => ({ type: a.type, address: a.address })),
      [
        { type: 'InternalIP', address: '10.0.0.11' },
        { type: 'Hostname', address: 'machine-a' },
      ],
    );
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable']) {
      assert.equal(condition(node, type), 'False', `${type} is False`);
    }
    // Readiness arrived as an update of the status subresource, which is what MCM reacts to.
    assert.ok(
      node?.metadata?.managedFields?.some((f) => f.subresource === 'status' && f.operation === 'Update'),
      'status written through the status subresource',
    );
    assert.equal(sim.nodeState('machine-a'), 'ready');

    // The VM goes away: its kubelet stops reporting.
    servers.set('a1', vm('a1', 'machine-a', 'DELETING', '10.0.0.11'));
    await waitFor(async () => condition(await getNode('machine-a'), 'Ready') === 'Unknown', {
      timeoutMs: 10_000,
      what: 'Node machine-a Ready=Unknown',
    });
    assert.deepEqual(sim.errors, []);
  });

  test('failure modes: a node that never joins, a node that turns NotReady; gone servers lose their Node', async () => {
    const servers = new Map<string, SimulatedServer>();
    const admin = fakeAdminEndpoint(servers, 'flat'); // the simulator's own item shape
    admins.push(admin);
    const sim = startNodeSimulator({
      simulatorUrl: await listen(admin),
      targetKubeConfig: target.kubeConfig,
      joinDelayMs: 100,
      pollIntervalMs: 100,
      failureModes: {
        neverJoin: /^broken-/,
        notReadyAfter: { match: /^flaky-/, afterMs: 500 },
      },
      deleteNodeWhenServerGone: true,
    });
    sims.push(sim);

    servers.set('b1', vm('b1', 'broken-1', 'ACTIVE'));
    servers.set('f1', vm('f1', 'flaky-1', 'ACTIVE'));
    servers.set('h1', vm('h1', 'healthy-1', 'ACTIVE'));

    await waitFor(
      async () =>
        condition(await getNode('flaky-1'), 'Ready') === 'False' && sim.nodeState('flaky-1') === 'not-ready',
      {
        timeoutMs: 10_000,
        what: 'flaky-1 to go NotReady after having been Ready',
      },
    );
    assert.equal(condition(await getNode('healthy-1'), 'Ready'), 'True');
    assert.equal(await getNode('broken-1'), undefined, 'broken-1 never registers');
    assert.equal(sim.nodeState('broken-1'), undefined);

    servers.delete('h1');
    await waitFor(async () => (await getNode('healthy-1')) === undefined, {
      timeoutMs: 10_000,
      what: 'the Node of a deleted server to be removed',
    });
    assert.equal(sim.nodeState('healthy-1'), 'deleted');
    assert.deepEqual(sim.errors, []);
  });

  test('works against the real STACKIT simulator CLI', async () => {
    const simulator = startProcess({
      name: 'stackit-simulator',
      command: process.execPath, // Node 24 under `npx node` / npm scripts
      args: [join(repoRoot, 'src/simulator/main.ts'), '--port', '0', '--no-auth', '--boot-delay', '200'],
      logDir: target.logDir,
    });
    children.push(simulator);
    const [, url] = await simulator.waitForLog(/listening on (http:\/\/\S+)/, 30_000);
    const [, projectId, region, networkId, imageId] = await simulator.waitForLog(
      /default project: (\S+)\s+region (\S+)\s+network (\S+)\s+image (\S+)/,
    );
    const sim = startNodeSimulator({
      simulatorUrl: url as string,
      targetKubeConfig: target.kubeConfig,
      joinDelayMs: 200,
      pollIntervalMs: 100,
    });
    sims.push(sim);

    const res = await fetch(`${url}/v2/projects/${projectId}/regions/${region}/servers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'real-sim-1',
        machineType: 't1.2',
        availabilityZone: `${region}-1`,
        bootVolume: { source: { type: 'image', id: imageId }, size: 20 },
        networking: { networkId },
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const created = (await res.json()) as { id: string };

    await waitFor(async () => condition(await getNode('real-sim-1'), 'Ready') === 'True', {
      timeoutMs: 15_000,
      what: 'Node real-sim-1 Ready',
      process: simulator,
    });
    const node = await getNode('real-sim-1');
    assert.equal(node?.spec?.providerID, `stackit://${created.id}`);
    assert.match(
      node?.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '',
      /^\d+\.\d+\.\d+\.\d+$/,
    );
    assert.deepEqual(sim.errors, []);
  });
});
