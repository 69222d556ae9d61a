import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { RunningSimulator } from '../../src/simulator/index.ts';
import { call, projectPath, serverPayload, start } from './helpers.ts';

describe('request validation', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await start();
  });
  after(() => sim.close());

  async function create(body: unknown) {
    return call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`, { body });
  }

  const cases: Array<[string, (p: Record<string, unknown>) => unknown, number, RegExp]> = [
    ['name missing', ({ name: _n, ...p }) => p, 400, /"\/name": property "name" is missing/],
    [
      'machineType missing',
      ({ machineType: _m, ...p }) => p,
      400,
      /"\/machineType": property "machineType" is missing/,
    ],
    ['networking missing', ({ networking: _n, ...p }) => p, 400, /networking/],
    [
      'networking empty',
      (p) => ({ ...p, networking: {} }),
      400,
      /exactly one of networking\.networkId or networking\.nicIds/,
    ],
    [
      'networking with both variants',
      (p) => ({
        ...p,
        networking: { networkId: sim.defaults.networkId, nicIds: ['ddaef40c-fb8b-4d09-a888-368db737a742'] },
      }),
      400,
      /exactly one of/,
    ],
    [
      'networkId not a uuid',
      (p) => ({ ...p, networking: { networkId: 'net-1' } }),
      400,
      /invalid uuid: networking\.networkId/,
    ],
    [
      'nicIds entry not a uuid',
      (p) => ({ ...p, networking: { nicIds: ['x'] } }),
      400,
      /invalid uuid: networking\.nicIds\[0\]/,
    ],
    [
      'name not a hostname',
      (p) => ({ ...p, name: 'bad_name' }),
      400,
      /"\/name": string doesn't match the regular expression/,
    ],
    ['name too long', (p) => ({ ...p, name: 'a'.repeat(64) }), 400, /"\/name": maximum string length is 63/],
    ['name not a string', (p) => ({ ...p, name: 42 }), 400, /"\/name": value must be a string/],
    [
      'unknown machine type',
      (p) => ({ ...p, machineType: 'z9i.99' }),
      400,
      /machine type is not valid: machineType/,
    ],
    [
      'unknown image',
      (p) => ({ ...p, imageId: '00000000-0000-4000-8000-000000000000' }),
      404,
      /image not found: imageId/,
    ],
    ['imageId not a uuid', (p) => ({ ...p, imageId: 'ubuntu' }), 400, /"\/imageId"/],
    [
      'unknown network',
      (p) => ({ ...p, networking: { networkId: '00000000-0000-4000-8000-000000000000' } }),
      404,
      /network not found: networking\.networkId/,
    ],
    [
      'unknown NIC',
      (p) => ({ ...p, networking: { nicIds: ['00000000-0000-4000-8000-000000000000'] } }),
      404,
      /nic not found/,
    ],
    ['unknown keypair', (p) => ({ ...p, keypairName: 'nope' }), 404, /keypair not found: keypairName/],
    ['bad keypair name', (p) => ({ ...p, keypairName: 'no spaces' }), 400, /"\/keypairName"/],
    [
      'unknown security group',
      (p) => ({ ...p, securityGroups: ['nope'] }),
      404,
      /security group not found: securityGroups\[0\]/,
    ],
    [
      'unknown affinity group',
      (p) => ({ ...p, affinityGroup: '00000000-0000-4000-8000-000000000000' }),
      404,
      /affinity group not found: affinityGroup/,
    ],
    [
      'unknown volume',
      (p) => ({ ...p, volumes: ['00000000-0000-4000-8000-000000000000'] }),
      404,
      /volume not found: volumes\[0\]/,
    ],
    ['unknown availability zone', (p) => ({ ...p, availabilityZone: 'eu09-1' }), 400, /availabilityZone/],
    [
      'imageId and bootVolume.source together',
      (p) => ({ ...p, bootVolume: { source: { type: 'image', id: sim.defaults.imageId }, size: 20 } }),
      400,
      /imageId and bootVolume\.source are mutually exclusive/,
    ],
    ['no boot source', ({ imageId: _i, ...p }) => p, 400, /either imageId or bootVolume\.source is required/],
    [
      'bootVolume.source without id',
      ({ imageId: _i, ...p }) => ({ ...p, bootVolume: { source: { type: 'image' }, size: 20 } }),
      400,
      /"\/bootVolume\/source\/id": property "id" is missing/,
    ],
    [
      'bootVolume.source of an unknown type',
      ({ imageId: _i, ...p }) => ({
        ...p,
        bootVolume: { source: { type: 'snapshot', id: sim.defaults.imageId }, size: 20 },
      }),
      400,
      /bootVolume\.source\.type/,
    ],
    [
      'image boot volume without size',
      ({ imageId: _i, ...p }) => ({
        ...p,
        bootVolume: { source: { type: 'image', id: sim.defaults.imageId } },
      }),
      400,
      /boot device size is not valid or missing: bootVolume\.size/,
    ],
    [
      'unknown boot volume',
      ({ imageId: _i, ...p }) => ({
        ...p,
        bootVolume: { source: { type: 'volume', id: '00000000-0000-4000-8000-000000000000' } },
      }),
      404,
      /volume not found: bootVolume\.source\.id/,
    ],
    ['userData not base64', (p) => ({ ...p, userData: 'not base64!' }), 400, /"\/userData"/],
    [
      'two service accounts',
      (p) => ({ ...p, serviceAccountMails: ['a@sa.stackit.cloud', 'b@sa.stackit.cloud'] }),
      400,
      /serviceAccountMails/,
    ],
    ['body is an array', () => [], 400, /value must be an object/],
  ];

  for (const [name, mutate, status, msg] of cases) {
    test(`CreateServer rejects: ${name}`, async () => {
      const r = await create(mutate(serverPayload(sim)));
      assert.equal(r.status, status, r.text);
      assert.equal(r.body.code, status);
      assert.match(r.body.msg, msg);
    });
  }

  test('malformed JSON and a missing body are 400 with the Error body', async () => {
    const bad = await call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`, {
      rawBody: '{"name": ',
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.msg, /invalid JSON/);
    const none = await call(sim, 'CreateServer', 'POST', `${projectPath(sim)}/servers`);
    assert.equal(none.status, 400);
    assert.match(none.body.msg, /required but missing/);
  });

  test('path ids that are not lowercase UUIDs are 400 "invalid uuid" naming the parameter', async () => {
    const p = sim.defaults.projectId;
    const checks: Array<[string, string, string, string]> = [
      ['GetServer', `/v2/projects/${p}/regions/eu01/servers/abc`, 'serverId', 'GET'],
      ['GetServer', `/v2/projects/${p}/regions/eu01/servers/${p.toUpperCase()}`, 'serverId', 'GET'],
      ['ListServers', '/v2/projects/not-a-project/regions/eu01/servers', 'projectId', 'GET'],
      ['DeleteServer', `/v2/projects/${p}/regions/eu01/servers/123`, 'serverId', 'DELETE'],
      ['UpdateNic', `/v2/projects/${p}/regions/eu01/networks/x/nics/${p}`, 'networkId', 'PATCH'],
    ];
    for (const [op, path, param, method] of checks) {
      const r = await call(sim, op, method, path, method === 'PATCH' ? { body: {} } : {});
      assert.equal(r.status, 400, path);
      assert.deepEqual(r.body, { code: 400, msg: `invalid uuid: ${param}` });
    }
  });

  test('unknown project and unknown region are 404 with a clear msg', async () => {
    const r = await call(
      sim,
      'ListServers',
      'GET',
      '/v2/projects/00000000-0000-4000-8000-000000000000/regions/eu01/servers',
    );
    assert.deepEqual(r.body, { code: 404, msg: 'project not found' });
    const reg = await call(sim, 'ListServers', 'GET', `${projectPath(sim, undefined, 'eu99')}/servers`);
    assert.equal(reg.status, 404);
    assert.match(reg.body.msg, /region not found/);
    const notEnabled = await call(
      sim,
      'ListServers',
      'GET',
      `${projectPath(sim, undefined, 'eu02')}/servers`,
    );
    assert.equal(notEnabled.status, 404);
    assert.match(notEnabled.body.msg, /project not found in region eu02/);
    const az = await call(sim, 'ListAvailabilityZones', 'GET', '/v2/regions/eu99/availability-zones');
    assert.equal(az.status, 404);
  });

  test('details must be a boolean', async () => {
    const r = await call(sim, 'ListServers', 'GET', `${projectPath(sim)}/servers?details=yes`);
    assert.equal(r.status, 400);
    assert.match(r.body.msg, /"details"/);
  });

  test('UpdateServer validates name and labels', async () => {
    const id = (await create(serverPayload(sim))).body.id;
    const r = await call(sim, 'UpdateServer', 'PATCH', `${projectPath(sim)}/servers/${id}`, {
      body: { name: '-bad-' },
    });
    assert.equal(r.status, 400);
    assert.match(r.body.msg, /"\/name"/);
    const l = await call(sim, 'UpdateServer', 'PATCH', `${projectPath(sim)}/servers/${id}`, {
      body: { labels: { 'stackit-x': 'y' } },
    });
    assert.equal(l.status, 400);
    assert.match(l.body.msg, /labels/);
  });

  test('arbitrary bodies never crash the simulator: every answer is 201 or a spec Error', async () => {
    const value = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 3 }),
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          name: value,
          machineType: value,
          imageId: value,
          networking: fc.oneof(value, fc.record({ networkId: value }), fc.record({ nicIds: value })),
          bootVolume: fc.oneof(
            value,
            fc.record({ source: fc.oneof(value, fc.record({ type: value, id: value })), size: value }),
          ),
          labels: fc.oneof(value, fc.dictionary(fc.string(), value)),
          securityGroups: value,
          volumes: value,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const r = await create(b); // `call` checks the body against the spec for the status
        assert.ok([201, 400, 404].includes(r.status), `${r.status} ${r.text}`);
      }),
      { numRuns: 150, seed: 7 },
    );
    const health = await fetch(`${sim.url}/admin/healthz`);
    assert.equal(health.status, 200);
  });

  test('operations of the spec the simulator does not model answer 501; unknown paths 404', async () => {
    const r = await call(sim, 'ListPublicIPs', 'GET', `${projectPath(sim)}/public-ips`);
    assert.equal(r.status, 501);
    assert.match(r.body.msg, /ListPublicIPs/);
    const u = await fetch(`${sim.url}/v2/nothing-here`);
    assert.equal(u.status, 404);
  });
});
