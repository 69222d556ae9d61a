import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningSimulator } from '../../src/simulator/index.ts';
import { call, createServer, projectPath, start, waitFor, waitForStatus } from './helpers.ts';

describe('server lifecycle', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await start({ bootDelayMs: 150, deleteDelayMs: 150 });
  });
  after(() => sim.close());

  test('create answers 201 CREATING, becomes ACTIVE, delete answers 204 DELETING, then GET is 404', async () => {
    const created = await createServer(sim, { name: 'lifecycle-1' });
    assert.equal(created.status, 'CREATING');
    assert.match(created.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.deepEqual(created.networking, { networkId: sim.defaults.networkId });

    const active = await waitForStatus(sim, created.id, 'ACTIVE');
    assert.equal(active.powerStatus, 'RUNNING');
    assert.ok(Date.parse(active.launchedAt) >= Date.parse(active.createdAt));

    const del = await call(sim, 'DeleteServer', 'DELETE', `${projectPath(sim)}/servers/${created.id}`);
    assert.equal(del.status, 204);
    assert.equal(del.text, '');
    const deleting = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${created.id}`);
    assert.equal(deleting.body.status, 'DELETING');

    const gone = await waitFor('server to disappear', async () => {
      const r = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${created.id}`);
      return r.status === 404 ? r : undefined;
    });
    assert.deepEqual(gone.body, { code: 404, msg: 'server not found' });
    const again = await call(sim, 'DeleteServer', 'DELETE', `${projectPath(sim)}/servers/${created.id}`);
    assert.equal(again.status, 404);
  });

  test('nics, serviceAccountMails and userData appear only with details=true', async () => {
    const userData = Buffer.from('#cloud-config\n').toString('base64');
    const created = await createServer(sim, {
      name: 'details-1',
      userData,
      serviceAccountMails: ['worker@sa.stackit.cloud'],
      securityGroups: [sim.defaults.securityGroupName],
    });
    for (const details of ['false', undefined]) {
      const q = details === undefined ? '' : `?details=${details}`;
      const r = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${created.id}${q}`);
      assert.equal(r.status, 200);
      for (const f of ['nics', 'serviceAccountMails', 'userData', 'securityGroups'])
        assert.equal(f in r.body, false, f);
    }
    const r = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${created.id}?details=true`);
    assert.equal(r.body.userData, userData);
    assert.deepEqual(r.body.serviceAccountMails, ['worker@sa.stackit.cloud']);
    assert.equal(r.body.nics.length, 1);
    const nic = r.body.nics[0];
    assert.equal(nic.networkId, sim.defaults.networkId);
    assert.equal(nic.networkName, 'sim-network');
    assert.equal(nic.nicSecurity, true);
    assert.match(nic.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    assert.match(nic.ipv4, /^10\.250\./);
    assert.deepEqual(nic.securityGroups, [sim.defaults.securityGroupId]);

    const list = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers?details=true`);
    assert.ok(list.body.items.every((s: { nics?: unknown[] }) => Array.isArray(s.nics)));
    const plain = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers`);
    assert.ok(plain.body.items.every((s: object) => !('nics' in s)));
  });

  test('every server gets its own IPv4 address from the network prefix', async () => {
    const a = await createServer(sim, { name: 'ip-a' });
    const b = await createServer(sim, { name: 'ip-b' });
    const nicsA = await call(sim, 'ListServerNICs', 'GET', `${projectPath(sim)}/servers/${a.id}/nics`);
    const nicsB = await call(sim, 'ListServerNICs', 'GET', `${projectPath(sim)}/servers/${b.id}/nics`);
    assert.equal(nicsA.body.items.length, 1);
    assert.notEqual(nicsA.body.items[0].ipv4, nicsB.body.items[0].ipv4);
    assert.notEqual(nicsA.body.items[0].ipv4, '10.250.0.1', 'gateway is never handed out');
    assert.equal(nicsA.body.items[0].device, a.id);
  });

  test('UpdateNic sets allowedAddresses, visible in the server details', async () => {
    const s = await createServer(sim, { name: 'nic-update' });
    const nics = await call(sim, 'ListServerNICs', 'GET', `${projectPath(sim)}/servers/${s.id}/nics`);
    const nic = nics.body.items[0];
    const upd = await call(
      sim,
      'UpdateNic',
      'PATCH',
      `${projectPath(sim)}/networks/${nic.networkId}/nics/${nic.id}`,
      {
        body: { allowedAddresses: ['100.64.0.0/11', '10.96.0.0/12'] },
      },
    );
    assert.equal(upd.status, 200);
    assert.deepEqual(upd.body.allowedAddresses, ['100.64.0.0/11', '10.96.0.0/12']);
    const got = await call(
      sim,
      'GetNic',
      'GET',
      `${projectPath(sim)}/networks/${nic.networkId}/nics/${nic.id}`,
    );
    assert.deepEqual(got.body.allowedAddresses, ['100.64.0.0/11', '10.96.0.0/12']);
    const srv = await call(sim, 'GetServer', 'GET', `${projectPath(sim)}/servers/${s.id}?details=true`);
    assert.deepEqual(srv.body.nics[0].allowedAddresses, ['100.64.0.0/11', '10.96.0.0/12']);
    const wrongNet = await call(
      sim,
      'UpdateNic',
      'PATCH',
      `${projectPath(sim)}/networks/6b57d96f-68ba-4202-9dff-40dd536b1419/nics/${nic.id}`,
      { body: { allowedAddresses: [] } },
    );
    assert.equal(wrongNet.status, 404);
    const bad = await call(
      sim,
      'UpdateNic',
      'PATCH',
      `${projectPath(sim)}/networks/${nic.networkId}/nics/${nic.id}`,
      {
        body: { allowedAddresses: ['not-an-ip'] },
      },
    );
    assert.equal(bad.status, 400);
    assert.match(bad.body.msg, /allowedAddresses/);
  });

  test('UpdateServer merges labels and metadata, null removes a key, name can change', async () => {
    const s = await createServer(sim, { name: 'upd-1', labels: { a: '1', b: '2' }, metadata: { m: 'x' } });
    const r = await call(sim, 'UpdateServer', 'PATCH', `${projectPath(sim)}/servers/${s.id}`, {
      body: { name: 'upd-2', labels: { b: null, c: '3' }, metadata: { m: null, n: 'y' } },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'upd-2');
    assert.deepEqual(r.body.labels, { a: '1', c: '3' });
    assert.deepEqual(r.body.metadata, { n: 'y' });
  });

  test('boot volume with deleteOnTermination goes with the server; attached volumes and NICs given by id stay', async () => {
    const base = projectPath(sim);
    const dataVolume = 'f33ba729-6184-4e82-85cf-8891772a1c7f';
    const freePort = 'ddaef40c-fb8b-4d09-a888-368db737a742';
    const s = await createServer(sim, {
      name: 'volumes-1',
      imageId: undefined,
      availabilityZone: 'eu01-1',
      bootVolume: {
        source: { type: 'image', id: sim.defaults.imageId },
        size: 20,
        deleteOnTermination: true,
      },
      volumes: [dataVolume],
      networking: { nicIds: [freePort] },
    });
    assert.deepEqual(s.networking, { nicIds: [freePort] });
    const bootId = (s.bootVolume as { id: string }).id;
    await waitForStatus(sim, s.id, 'ACTIVE');
    const boot = await call(sim, 'GetVolume', 'GET', `${base}/volumes/${bootId}`);
    assert.equal(boot.body.serverId, s.id);
    assert.equal(boot.body.size, 20);
    const data = await call(sim, 'GetVolume', 'GET', `${base}/volumes/${dataVolume}`);
    assert.equal(data.body.status, 'ATTACHED');
    const srv = await call(sim, 'GetServer', 'GET', `${base}/servers/${s.id}?details=true`);
    assert.equal(srv.body.nics[0].nicId, freePort);

    // The data volume is in use now.
    const clash = await call(sim, 'CreateServer', 'POST', `${base}/servers`, {
      body: {
        name: 'volumes-2',
        machineType: 'c2i.2',
        imageId: sim.defaults.imageId,
        networking: { networkId: sim.defaults.networkId },
        volumes: [dataVolume],
      },
    });
    assert.equal(clash.status, 400);
    assert.match(clash.body.msg, /volumes\[0\]/);

    await call(sim, 'DeleteServer', 'DELETE', `${base}/servers/${s.id}`);
    await waitFor('boot volume deletion', async () => {
      const r = await call(sim, 'GetVolume', 'GET', `${base}/volumes/${bootId}`);
      return r.status === 404 ? true : undefined;
    });
    const kept = await call(sim, 'GetVolume', 'GET', `${base}/volumes/${dataVolume}`);
    assert.equal(kept.body.status, 'AVAILABLE');
    assert.equal('serverId' in kept.body, false);
    const port = await call(sim, 'GetProjectNIC', 'GET', `${base}/nics/${freePort}`);
    assert.equal(port.status, 200);
    assert.equal('device' in port.body, false);
    const vols = await call(sim, 'ListVolumes', 'GET', `${base}/volumes`);
    assert.ok(vols.body.items.some((v: { id: string }) => v.id === dataVolume));
  });

  test('a server booted from an existing volume takes its availability zone; without volumes it gets the metro zone', async () => {
    const fromVolume = await createServer(sim, {
      name: 'from-volume',
      imageId: undefined,
      bootVolume: { source: { type: 'volume', id: '596734d1-c4c9-481f-a4f7-5ec69bf37af3' } },
    });
    assert.equal(fromVolume.availabilityZone, 'eu01-1');
    const plain = await createServer(sim, { name: 'metro' });
    assert.equal(plain.availabilityZone, 'eu01-m');
    await call(sim, 'DeleteServer', 'DELETE', `${projectPath(sim)}/servers/${fromVolume.id}`);
  });

  test('affinity group lists its members', async () => {
    const s = await createServer(sim, { name: 'affine', affinityGroup: sim.defaults.affinityGroupId });
    const g = await call(
      sim,
      'GetAffinityGroup',
      'GET',
      `${projectPath(sim)}/affinity-groups/${sim.defaults.affinityGroupId}`,
    );
    assert.ok(g.body.members.includes(s.id));
  });

  test('catalog operations answer with the seed', async () => {
    const base = projectPath(sim);
    const mts = await call(sim, 'ListMachineTypes', 'GET', `${base}/machine-types`);
    assert.ok(mts.body.items.some((m: { name: string }) => m.name === 'g1a.4d'));
    const mt = await call(sim, 'GetMachineType', 'GET', `${base}/machine-types/c2i.4`);
    assert.deepEqual([mt.body.vcpus, mt.body.ram], [4, 8192]);
    assert.equal((await call(sim, 'GetMachineType', 'GET', `${base}/machine-types/x9.9`)).status, 404);
    const images = await call(sim, 'ListImages', 'GET', `${base}/images`);
    assert.ok(images.body.items.some((i: { name: string }) => i.name.startsWith('gardenlinux')));
    assert.equal((await call(sim, 'GetImage', 'GET', `${base}/images/${sim.defaults.imageId}`)).status, 200);
    const azs = await call(sim, 'ListAvailabilityZones', 'GET', '/v2/regions/eu01/availability-zones');
    assert.deepEqual(azs.body, { items: ['eu01-1', 'eu01-2', 'eu01-3', 'eu01-m'] });
    const kps = await call(sim, 'ListKeyPairs', 'GET', '/v2/keypairs');
    assert.equal(kps.body.items[0].name, sim.defaults.keypairName);
    assert.equal(
      (await call(sim, 'GetKeyPair', 'GET', `/v2/keypairs/${sim.defaults.keypairName}`)).status,
      200,
    );
    assert.equal((await call(sim, 'GetKeyPair', 'GET', '/v2/keypairs/nope')).status, 404);
    const nets = await call(sim, 'ListNetworks', 'GET', `${base}/networks`);
    assert.equal(nets.body.items.length, 2);
    assert.equal(
      (await call(sim, 'GetNetwork', 'GET', `${base}/networks/${sim.defaults.networkId}`)).body.name,
      'sim-network',
    );
    const sgs = await call(sim, 'ListSecurityGroups', 'GET', `${base}/security-groups`);
    assert.ok(sgs.body.items.some((g: { id: string }) => g.id === sim.defaults.securityGroupId));
    assert.equal(
      (await call(sim, 'GetSecurityGroup', 'GET', `${base}/security-groups/${sim.defaults.securityGroupId}`))
        .status,
      200,
    );
    assert.equal((await call(sim, 'ListAffinityGroups', 'GET', `${base}/affinity-groups`)).status, 200);
    const nics = await call(sim, 'ListNics', 'GET', `${base}/networks/${sim.defaults.networkId}/nics`);
    assert.ok(nics.body.items.length >= 1);
    assert.equal((await call(sim, 'ListProjectNICs', 'GET', `${base}/nics`)).status, 200);
  });

  test('an exhausted network sends the server to ERROR', async () => {
    // sim-network-small is a /28: 14 hosts minus the gateway.
    const ids: string[] = [];
    for (let i = 0; i < 13; i++) {
      ids.push(
        (
          await createServer(sim, {
            name: `small-${i}`,
            networking: { networkId: '6b57d96f-68ba-4202-9dff-40dd536b1419' },
          })
        ).id,
      );
    }
    const last = await createServer(sim, {
      name: 'small-full',
      networking: { networkId: '6b57d96f-68ba-4202-9dff-40dd536b1419' },
    });
    const failed = await waitForStatus(sim, last.id, 'ERROR');
    assert.match(failed.errorMessage, /No more IP addresses available/);
    await waitForStatus(sim, ids[12]!, 'ACTIVE');
  });
});
