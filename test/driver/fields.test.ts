// Every providerSpec field reaches the CreateServer payload, names stay valid for the API, and
// credentials are picked per request (rotation, two projects in one process).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labelValueFor, serverNameFor } from '../../src/machine-class/index.ts';
import {
  apiGet,
  codeOf,
  ctx,
  type Env,
  mcmCreate,
  mcmDelete,
  minimalSpec,
  request,
  secretFor,
  startEnv,
  withProviderId,
} from './helpers.ts';

describe('driver: providerSpec fields, names, credentials', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(() => env.close());

  test('every providerSpec field reaches the server', async () => {
    const d = env.sim.defaults;
    const project = env.sim.seed.projects[0]!;
    const dataVolume = project.volumes.find((v) => !v.bootable)!;
    const spec = {
      machineType: d.machineType,
      region: d.region,
      availabilityZone: d.availabilityZone,
      labels: { 'kubernetes.io/cluster': 'shoot--p--c', team: 'blue' },
      networking: { networkId: d.networkId },
      securityGroups: [d.securityGroupId],
      userData: '#cloud-config\nruncmd: [echo <<MACHINE_NAME>>]\n',
      bootVolume: {
        size: 50,
        performanceClass: 'storage_premium_perf1',
        source: { type: 'image', id: d.imageId },
      },
      volumes: [dataVolume.id],
      keypairName: d.keypairName,
      affinityGroup: d.affinityGroupId,
      serviceAccountMails: ['robot@sa.stackit.cloud'],
      agent: { provisioned: true },
      metadata: { purpose: 'test', size: 3 },
      allowedAddresses: ['100.64.0.0/12'],
    };
    const req = request(env, 'fields-1', spec);
    const { providerId } = await mcmCreate(env, req);
    const s = env.sim.servers().find((x) => providerId.endsWith(x.id))!;
    assert.equal(s.machineType, d.machineType);
    assert.equal(s.availabilityZone, d.availabilityZone);
    assert.equal(s.labels?.['kubernetes.io/cluster'], 'shoot--p--c');
    assert.equal(s.labels?.team, 'blue');
    assert.equal(s.labels?.['kubernetes.io/machine'], 'fields-1');
    assert.equal(s.labels?.['kubernetes.io/machineclass'], 'class-a');
    assert.equal(s.nics?.[0]?.networkId, d.networkId);
    assert.deepEqual(s.nics?.[0]?.securityGroups, [d.securityGroupId]);
    assert.equal(
      Buffer.from(String(s.userData), 'base64').toString(),
      '#cloud-config\nruncmd: [echo fields-1]\n',
    );
    assert.equal(s.bootVolume?.deleteOnTermination, true, 'boot volumes go with the server by default');
    const boot = await apiGet(env, `/volumes/${s.bootVolume?.id}`);
    assert.equal(boot.performanceClass, 'storage_premium_perf1');
    assert.equal(boot.size, 50);
    assert.deepEqual(boot.source, { type: 'image', id: d.imageId });
    assert.ok(s.volumes?.includes(dataVolume.id));
    assert.equal(s.keypairName, d.keypairName);
    assert.equal(s.affinityGroup, d.affinityGroupId);
    assert.deepEqual(s.serviceAccountMails, ['robot@sa.stackit.cloud']);
    assert.deepEqual(s.agent, { provisioned: true });
    assert.equal(s.metadata?.purpose, 'test');
    assert.equal(s.metadata?.size, '3');
    assert.deepEqual(s.nics?.[0]?.allowedAddresses, ['100.64.0.0/12']);
    await mcmDelete(env, withProviderId(req, providerId));
  });

  test('the Secret userData is used when the providerSpec has none; networkId falls back to the Secret', async () => {
    const req = request(env, 'secret-ud', {
      machineType: env.sim.defaults.machineType,
      imageId: env.sim.defaults.imageId,
    });
    const { providerId } = await mcmCreate(env, req);
    const s = env.sim.servers().find((x) => providerId.endsWith(x.id))!;
    assert.equal(Buffer.from(String(s.userData), 'base64').toString(), '#cloud-config\nhostname: test\n');
    assert.equal(s.nics?.[0]?.networkId, env.sim.defaults.networkId);
    await mcmDelete(env, withProviderId(req, providerId));
  });

  test('a Machine name longer than 63 characters still works and maps back', async () => {
    const name = `shoot--a-very-long-project-name--a-very-long-cluster-name-worker-pool-z1-5d8f9-abcde`;
    assert.ok(name.length > 63);
    const req = request(env, name, minimalSpec(env), { className: `${name}-class` });
    const { providerId, nodeName } = await mcmCreate(env, req);
    const s = env.sim.servers().find((x) => providerId.endsWith(x.id))!;
    assert.equal(s.name, serverNameFor(name));
    assert.ok(s.name.length <= 63);
    assert.equal(nodeName, s.name, 'the Node is named like the server (its hostname)');
    assert.equal(s.labels?.['kubernetes.io/machine'], labelValueFor(name));
    const list = await env.driver.listMachines({ machineClass: req.machineClass, secret: req.secret }, ctx());
    assert.equal(list.machineList[providerId], name, 'ListMachines maps back to the full name');
    await mcmDelete(env, withProviderId(req, providerId));
  });

  test('ListMachines lists this class in this namespace only, with ProviderIDs identical to create', async () => {
    const a = request(env, 'list-a-1', minimalSpec(env), {
      className: 'shared-class',
      namespace: 'shoot--one',
    });
    const b = request(env, 'list-b-1', minimalSpec(env), {
      className: 'shared-class',
      namespace: 'shoot--two',
    });
    const c = request(env, 'list-c-1', minimalSpec(env), {
      className: 'other-class',
      namespace: 'shoot--one',
    });
    const [ra, rb, rc] = await Promise.all([mcmCreate(env, a), mcmCreate(env, b), mcmCreate(env, c)]);
    const listA = await env.driver.listMachines({ machineClass: a.machineClass, secret: a.secret }, ctx());
    assert.deepEqual(listA.machineList, { [ra.providerId]: 'list-a-1' });
    const listB = await env.driver.listMachines({ machineClass: b.machineClass, secret: b.secret }, ctx());
    assert.deepEqual(listB.machineList, { [rb.providerId]: 'list-b-1' });
    for (const [req, r] of [
      [a, ra],
      [b, rb],
      [c, rc],
    ] as const)
      await mcmDelete(env, withProviderId(req, r.providerId));
  });

  test('a rotated key takes effect on the next call, and two projects work side by side', async () => {
    const req = request(env, 'rotate-1', minimalSpec(env));
    const { providerId } = await mcmCreate(env, req);
    const newKey = await env.sim.createServiceAccountKey({ name: 'rotated' });
    const rotated = withProviderId(
      { ...req, secret: secretFor(env, { serviceAccountKey: JSON.stringify(newKey) }) },
      providerId,
    );
    assert.equal(await codeOf(env.driver.getMachineStatus(rotated, ctx())), 'OK');

    const p2 = env.sim.addProject();
    const k2 = await env.sim.createServiceAccountKey({ projectIds: [p2.id] });
    const secret2 = secretFor(env, {
      projectId: p2.id,
      serviceAccountKey: JSON.stringify(k2),
      networkId: p2.networks[0]!.id!,
    });
    const req2 = request(env, 'project-2-m', minimalSpec(env), { className: 'p2-class', secret: secret2 });
    const r2 = await mcmCreate(env, req2);
    assert.ok(r2.providerId.startsWith(`stackit://${p2.id}/`));
    assert.equal(env.sim.servers().find((s) => r2.providerId.endsWith(s.id))?.projectId, p2.id);
    await mcmDelete(env, withProviderId(req2, r2.providerId));
    await mcmDelete(env, rotated);
  });

  test('GetVolumeIDs returns STACKIT and Cinder volume handles only', async () => {
    const res = await env.driver.getVolumeIds(
      {
        pvSpecs: [
          { csi: { driver: 'block-storage.csi.stackit.cloud', volumeHandle: 'vol-1' } },
          { csi: { driver: 'cinder.csi.openstack.org', volumeHandle: 'vol-2' } },
          { cinder: { volumeID: 'vol-3' } },
          { csi: { driver: 'ebs.csi.aws.com', volumeHandle: 'vol-x' } },
          { nfs: { server: 'x', path: '/' } },
        ],
      },
      ctx(),
    );
    assert.deepEqual(res.volumeIds, ['vol-1', 'vol-2', 'vol-3']);
  });
});
