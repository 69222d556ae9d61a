// The infrastructure Gardener's STACKIT extension creates through the IaaS API before any Machine
// exists (keypair, isolated network, security group and rules), plus affinity groups and volumes:
// created over HTTP, used by CreateServer at once, refused for deletion while in use. Every body is
// checked against the spec by `call`.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import fc from 'fast-check';
import type { RunningSimulator } from '../../src/simulator/index.ts';
import { call, createServer, type Json, projectPath, start, waitFor, waitForStatus } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stackit-sim-infra-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

// ssh-keygen -E md5 -l prints 7e:1a:98:23:ed:2e:6d:7e:cc:a0:70:c4:d7:49:61:d4 for this key.
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDsPd27M449akqCtdFg2+AmRVJz6eWio0oMP9dVg7Xe';
const ED25519_MD5 = '7e:1a:98:23:ed:2e:6d:7e:cc:a0:70:c4:d7:49:61:d4';

const P = (sim: RunningSimulator) => projectPath(sim);

async function expectStatus(r: Promise<{ status: number; text: string; body: Json }>, status: number) {
  const got = await r;
  assert.equal(got.status, status, got.text);
  return got.body;
}

async function deleteServerAndWait(sim: RunningSimulator, id: string) {
  await expectStatus(call(sim, 'DeleteServer', 'DELETE', `${P(sim)}/servers/${id}`), 204);
  await waitFor('server gone', async () => {
    const r = await call(sim, 'GetServer', 'GET', `${P(sim)}/servers/${id}`);
    return r.status === 404 ? true : undefined;
  });
}

describe('infrastructure as Gardener’s STACKIT extension creates it', () => {
  test('keypair, isolated network, security group with rules: a server using them reaches ACTIVE; deletion waits for it', async () => {
    const sim = await start();
    try {
      const shoot = 'shoot--garden--infra';
      // ensureStackitSSHKeyPair: GetKeyPair (404) then CreateKeyPair.
      await expectStatus(call(sim, 'GetKeyPair', 'GET', `/v2/keypairs/${shoot}-ssh-publickey`), 404);
      const kp = await expectStatus(
        call(sim, 'CreateKeyPair', 'POST', '/v2/keypairs', {
          body: { name: `${shoot}-ssh-publickey`, publicKey: `${ED25519} gardener\n` },
        }),
        201,
      );
      assert.equal(kp.fingerprint, ED25519_MD5);
      assert.equal(kp.publicKey, `${ED25519} gardener\n`, 'kept verbatim: the extension compares it');
      const again = await call(sim, 'GetKeyPair', 'GET', `/v2/keypairs/${shoot}-ssh-publickey`);
      assert.deepEqual(again.body, kp);

      // ensureIsolatedNetwork: the name is looked up in ListNetworks, then CreateIsolatedNetwork.
      const network = await expectStatus(
        call(sim, 'CreateIsolatedNetwork', 'POST', `${P(sim)}/isolated-network`, {
          body: { name: shoot, dhcp: true, ipv4: { prefix: '10.250.0.0/16', nameservers: ['9.9.9.9'] } },
        }),
        202,
      );
      assert.equal(network.routed, false);
      assert.deepEqual(network.ipv4.prefixes, ['10.250.0.0/16'], 'isolated: may overlap the seeded network');
      assert.equal(network.ipv4.gateway, '10.250.0.1');
      assert.deepEqual(network.ipv4.nameservers, ['9.9.9.9']);
      const listed = (await call(sim, 'ListNetworks', 'GET', `${P(sim)}/networks`)).body.items;
      assert.equal(listed.filter((n: Json) => n.name === shoot).length, 1);
      // A second reconcile updates it; ensureEgressIP then reads the router's public IP.
      await expectStatus(
        call(sim, 'PartialUpdateNetwork', 'PATCH', `${P(sim)}/networks/${network.id}`, {
          body: { name: shoot, dhcp: true, ipv4: { nameservers: ['9.9.9.9', '1.1.1.1'] } },
        }),
        202,
      );
      const got = await expectStatus(call(sim, 'GetNetwork', 'GET', `${P(sim)}/networks/${network.id}`), 200);
      assert.deepEqual(got.ipv4.nameservers, ['9.9.9.9', '1.1.1.1']);
      assert.match(got.ipv4.publicIp, /^\d+\.\d+\.\d+\.\d+$/);

      // ensureSecGroup: create, wipe the default egress rules, then the desired rules.
      const group = await expectStatus(
        call(sim, 'CreateSecurityGroup', 'POST', `${P(sim)}/security-groups`, {
          body: { name: shoot, description: 'Cluster Nodes' },
        }),
        201,
      );
      assert.deepEqual(
        group.rules.map((r: Json) => `${r.direction}/${r.ethertype}`),
        ['egress/IPv4', 'egress/IPv6'],
      );
      for (const r of group.rules) {
        await expectStatus(
          call(
            sim,
            'DeleteSecurityGroupRule',
            'DELETE',
            `${P(sim)}/security-groups/${group.id}/rules/${r.id}`,
          ),
          204,
        );
      }
      const rulesPath = `${P(sim)}/security-groups/${group.id}/rules`;
      const desired = [
        {
          direction: 'ingress',
          ethertype: 'IPv4',
          remoteSecurityGroupId: group.id,
          description: 'same group',
        },
        { direction: 'egress', ethertype: 'IPv4', description: 'all out' },
        {
          direction: 'ingress',
          protocol: 'tcp',
          portRange: { min: 30000, max: 32767 },
          ipRange: '0.0.0.0/0',
        },
        {
          direction: 'ingress',
          protocol: 'udp',
          portRange: { min: 30000, max: 32767 },
          ipRange: '0.0.0.0/0',
        },
        { direction: 'ingress', ethertype: 'IPv4', ipRange: '100.64.0.0/12' },
      ];
      const created = [];
      for (const body of desired) {
        created.push(
          await expectStatus(call(sim, 'CreateSecurityGroupRule', 'POST', rulesPath, { body }), 201),
        );
      }
      assert.deepEqual(created[2].protocol, { name: 'tcp', number: 6 });
      assert.equal(created[1].ipRange, undefined, 'nothing is added that was not asked for');
      assert.equal(created[1].protocol, undefined);
      const withRules = await expectStatus(
        call(sim, 'GetSecurityGroup', 'GET', `${P(sim)}/security-groups/${group.id}`),
        200,
      );
      assert.deepEqual(
        withRules.rules.map((r: Json) => r.id),
        created.map((r) => r.id),
      );
      const ruleList = await expectStatus(call(sim, 'ListSecurityGroupRules', 'GET', rulesPath), 200);
      assert.equal(ruleList.items.length, desired.length);
      const one = await expectStatus(
        call(sim, 'GetSecurityGroupRule', 'GET', `${rulesPath}/${created[0].id}`),
        200,
      );
      assert.deepEqual(one, created[0]);

      // The MachineClass: keypair by name, network by id, security group by id.
      const server = await createServer(sim, {
        name: `${shoot}-worker-z1-abcde`,
        keypairName: kp.name,
        networking: { networkId: network.id },
        securityGroups: [group.id],
        imageId: undefined,
        bootVolume: {
          source: { type: 'image', id: sim.defaults.imageId },
          size: 20,
          deleteOnTermination: true,
        },
        availabilityZone: 'eu01-1',
      });
      const active = await waitForStatus(sim, server.id, 'ACTIVE');
      assert.equal(active.keypairName, kp.name);
      const nics = (await call(sim, 'ListServerNICs', 'GET', `${P(sim)}/servers/${server.id}/nics`)).body
        .items;
      assert.equal(nics[0].networkId, network.id);
      assert.deepEqual(nics[0].securityGroups, [group.id]);
      assert.match(nics[0].ipv4, /^10\.250\./);

      // In use: the network and the group refuse deletion with the spec's 409 {code, msg}.
      const busyNet = await expectStatus(
        call(sim, 'DeleteNetwork', 'DELETE', `${P(sim)}/networks/${network.id}`),
        409,
      );
      assert.equal(busyNet.code, 409);
      assert.match(busyNet.msg, /still in use/);
      const busyGroup = await expectStatus(
        call(sim, 'DeleteSecurityGroup', 'DELETE', `${P(sim)}/security-groups/${group.id}`),
        409,
      );
      assert.match(busyGroup.msg, /in use/);

      await deleteServerAndWait(sim, server.id);
      await expectStatus(call(sim, 'DeleteNetwork', 'DELETE', `${P(sim)}/networks/${network.id}`), 202);
      await expectStatus(call(sim, 'GetNetwork', 'GET', `${P(sim)}/networks/${network.id}`), 404);
      await expectStatus(
        call(sim, 'DeleteSecurityGroup', 'DELETE', `${P(sim)}/security-groups/${group.id}`),
        204,
      );
      await expectStatus(call(sim, 'DeleteKeyPair', 'DELETE', `/v2/keypairs/${kp.name}`), 204);
      await expectStatus(call(sim, 'DeleteKeyPair', 'DELETE', `/v2/keypairs/${kp.name}`), 404);
      // Gone means unusable.
      const r = await call(sim, 'CreateServer', 'POST', `${P(sim)}/servers`, {
        body: {
          name: 'late',
          machineType: sim.defaults.machineType,
          imageId: sim.defaults.imageId,
          networking: { networkId: network.id },
        },
      });
      assert.equal(r.status, 404);
      assert.match(r.body.msg, /networking\.networkId/);
    } finally {
      await sim.close();
    }
  });
});

describe('keypairs', () => {
  test('CreateKeyPair checks the public key and names the field; 409 on a taken name', async () => {
    const sim = await start();
    try {
      const create = (body: unknown) => call(sim, 'CreateKeyPair', 'POST', '/v2/keypairs', { body });
      const noKey = await expectStatus(create({ name: 'k' }), 400);
      assert.match(noKey.msg, /"\/publicKey": property "publicKey" is missing/);
      const badType = await expectStatus(create({ name: 'k', publicKey: 'ssh-dss AAAAB3NzaC1kc3M=' }), 400);
      assert.match(badType.msg, /publicKey/);
      // The blob says ed25519, the prefix says rsa.
      const mismatch = await expectStatus(
        create({ name: 'k', publicKey: ED25519.replace('ssh-ed25519', 'ssh-rsa') }),
        400,
      );
      assert.match(mismatch.msg, /publicKey: not a valid SSH public key: the key data is not a ssh-rsa key/);
      const badName = await expectStatus(create({ name: 'no spaces', publicKey: ED25519 }), 400);
      assert.match(badName.msg, /"\/name"/);

      // No name: the comment, else the fingerprint.
      const fromComment = await expectStatus(create({ publicKey: `${ED25519} alice@example` }), 201);
      assert.equal(fromComment.name, 'alice@example');
      const fromFingerprint = await expectStatus(create({ publicKey: ED25519 }), 201);
      assert.equal(fromFingerprint.name, ED25519_MD5.replaceAll(':', '-'));
      const taken = await expectStatus(create({ name: 'alice@example', publicKey: ED25519 }), 409);
      assert.match(taken.msg, /already exists/);
    } finally {
      await sim.close();
    }
  });

  test('UpdateKeyPair merges labels (null removes); ListKeyPairs filters by label_selector', async () => {
    const sim = await start();
    try {
      await expectStatus(
        call(sim, 'CreateKeyPair', 'POST', '/v2/keypairs', {
          body: { name: 'shoot-a', publicKey: ED25519, labels: { shoot: 'a', tier: 'x' } },
        }),
        201,
      );
      const updated = await expectStatus(
        call(sim, 'UpdateKeyPair', 'PATCH', '/v2/keypairs/shoot-a', {
          body: { labels: { tier: null, env: 'dev' } },
        }),
        200,
      );
      assert.deepEqual(updated.labels, { shoot: 'a', env: 'dev' });
      const bad = await expectStatus(
        call(sim, 'UpdateKeyPair', 'PATCH', '/v2/keypairs/shoot-a', {
          body: { labels: { 'stackit-x': 'y' } },
        }),
        400,
      );
      assert.match(bad.msg, /labels: .*reserved prefix/);
      const sel = await call(sim, 'ListKeyPairs', 'GET', '/v2/keypairs?label_selector=shoot=a');
      assert.deepEqual(
        sel.body.items.map((k: Json) => k.name),
        ['shoot-a'],
      );
      const all = await call(sim, 'ListKeyPairs', 'GET', '/v2/keypairs');
      assert.ok(all.body.items.length >= 2, 'the seeded keypair is listed too');
    } finally {
      await sim.close();
    }
  });
});

describe('networks', () => {
  test('a prefix length is allocated without overlapping; overlapping routed prefixes are 409', async () => {
    const sim = await start();
    try {
      const create = (body: unknown) => call(sim, 'CreateNetwork', 'POST', `${P(sim)}/networks`, { body });
      const a = await expectStatus(create({ name: 'a', ipv4: { prefixLength: 24 } }), 202);
      const b = await expectStatus(create({ name: 'b', ipv4: { prefixLength: 24 } }), 202);
      const c = await expectStatus(create({ name: 'c' }), 202);
      assert.deepEqual(
        [a.ipv4.prefixes, b.ipv4.prefixes, c.ipv4.prefixes],
        [['10.0.0.0/24'], ['10.0.1.0/24'], ['10.0.2.0/25']],
      );
      assert.equal(a.routed, true);
      const clash = await expectStatus(create({ name: 'd', ipv4: { prefix: '10.0.1.128/25' } }), 409);
      assert.match(clash.msg, new RegExp(`ipv4.prefix: .*overlaps network ${b.id}`));
      const noGw = await expectStatus(
        create({ name: 'e', ipv4: { prefix: '10.9.0.0/24', gateway: null } }),
        202,
      );
      assert.equal(noGw.ipv4.gateway, undefined);
      const outside = await expectStatus(
        create({ name: 'f', ipv4: { prefix: '10.8.0.0/24', gateway: '10.7.0.1' } }),
        400,
      );
      assert.match(outside.msg, /ipv4\.gateway/);
      const hostBits = await expectStatus(create({ name: 'g', ipv4: { prefix: '10.8.0.5/24' } }), 400);
      assert.match(hostBits.msg, /ipv4\.prefix/);
      const both = await expectStatus(
        create({ name: 'h', ipv4: { prefix: '10.8.0.0/24', prefixLength: 24 } }),
        400,
      );
      assert.match(both.msg, /"\/ipv4"/);
      const noName = await expectStatus(create({ ipv4: { prefixLength: 24 } }), 400);
      assert.match(noName.msg, /"\/name": property "name" is missing/);
      const tooSmall = await expectStatus(create({ name: 'i', ipv4: { prefixLength: 30 } }), 400);
      assert.match(tooSmall.msg, /"\/ipv4"|prefixLength/);
      const v6 = await expectStatus(create({ name: 'j', ipv6: { prefixLength: 64 } }), 501);
      assert.match(v6.msg, /ipv6 is not modelled/);
      // Servers get addresses of the new network.
      const s = await createServer(sim, { networking: { networkId: a.id } });
      const nics = (await call(sim, 'ListServerNICs', 'GET', `${P(sim)}/servers/${s.id}/nics`)).body.items;
      assert.equal(nics[0].ipv4, '10.0.0.2');
    } finally {
      await sim.close();
    }
  });

  test('PartialUpdateNetwork changes name, labels, gateway; ListNetworks filters by label_selector', async () => {
    const sim = await start();
    try {
      const n = await expectStatus(
        call(sim, 'CreateNetwork', 'POST', `${P(sim)}/networks`, {
          body: { name: 'labelled', labels: { shoot: 'a' }, ipv4: { prefixLength: 26 } },
        }),
        202,
      );
      await expectStatus(
        call(sim, 'PartialUpdateNetwork', 'PATCH', `${P(sim)}/networks/${n.id}`, {
          body: { name: 'renamed', labels: { role: 'nodes' }, ipv4: { gateway: null } },
        }),
        202,
      );
      const got = (await call(sim, 'GetNetwork', 'GET', `${P(sim)}/networks/${n.id}`)).body;
      assert.equal(got.name, 'renamed');
      assert.deepEqual(got.labels, { shoot: 'a', role: 'nodes' });
      assert.equal(got.ipv4.gateway, undefined);
      const sel = await call(
        sim,
        'ListNetworks',
        'GET',
        `${P(sim)}/networks?label_selector=shoot=a,role=nodes`,
      );
      assert.deepEqual(
        sel.body.items.map((x: Json) => x.id),
        [n.id],
      );
      await expectStatus(
        call(
          sim,
          'PartialUpdateNetwork',
          'PATCH',
          `${P(sim)}/networks/00000000-0000-4000-8000-000000000000`,
          {
            body: { name: 'x' },
          },
        ),
        404,
      );
    } finally {
      await sim.close();
    }
  });
});

describe('security groups', () => {
  test('rules are checked; UpdateSecurityGroup; servers take a group by name; label_selector', async () => {
    const sim = await start();
    try {
      const g = await expectStatus(
        call(sim, 'CreateSecurityGroup', 'POST', `${P(sim)}/security-groups`, {
          body: { name: 'nodes', labels: { shoot: 'a' }, stateful: true },
        }),
        201,
      );
      const rules = `${P(sim)}/security-groups/${g.id}/rules`;
      const rule = (body: unknown) => call(sim, 'CreateSecurityGroupRule', 'POST', rules, { body });
      assert.match((await expectStatus(rule({ protocol: 'tcp' }), 400)).msg, /"\/direction"/);
      assert.match((await expectStatus(rule({ direction: 'sideways' }), 400)).msg, /direction/);
      assert.match(
        (await expectStatus(rule({ direction: 'ingress', portRange: { min: 22, max: 22 } }), 400)).msg,
        /portRange/,
      );
      assert.match(
        (
          await expectStatus(
            rule({ direction: 'ingress', protocol: 'tcp', portRange: { min: 30, max: 22 } }),
            400,
          )
        ).msg,
        /portRange: min 30 is greater than max 22/,
      );
      assert.match(
        (await expectStatus(rule({ direction: 'ingress', protocol: 'smtp' }), 400)).msg,
        /protocol/,
      );
      const unknown = await expectStatus(
        rule({ direction: 'ingress', remoteSecurityGroupId: '00000000-0000-4000-8000-000000000000' }),
        404,
      );
      assert.match(unknown.msg, /remoteSecurityGroupId/);
      // The default IPv4 egress rule exists already: the same traffic again is refused.
      assert.match((await expectStatus(rule({ direction: 'egress' }), 400)).msg, /already exists/);
      const icmp = await expectStatus(
        rule({ direction: 'ingress', protocol: 1, icmpParameters: { type: 8, code: 0 } }),
        201,
      );
      assert.deepEqual(icmp.protocol, { name: 'icmp', number: 1 });

      const updated = await expectStatus(
        call(sim, 'UpdateSecurityGroup', 'PATCH', `${P(sim)}/security-groups/${g.id}`, {
          body: { description: 'worker nodes', labels: { shoot: null, role: 'nodes' } },
        }),
        200,
      );
      assert.equal(updated.description, 'worker nodes');
      assert.deepEqual(updated.labels, { role: 'nodes' });
      assert.equal(updated.rules.length, 3);
      const sel = await call(
        sim,
        'ListSecurityGroups',
        'GET',
        `${P(sim)}/security-groups?label_selector=role=nodes`,
      );
      assert.deepEqual(
        sel.body.items.map((x: Json) => x.id),
        [g.id],
      );

      const s = await createServer(sim, { securityGroups: ['nodes'] });
      const nics = (await call(sim, 'ListServerNICs', 'GET', `${P(sim)}/servers/${s.id}/nics`)).body.items;
      assert.deepEqual(nics[0].securityGroups, [g.id]);
      await expectStatus(
        call(sim, 'DeleteSecurityGroup', 'DELETE', `${P(sim)}/security-groups/${g.id}`),
        409,
      );
      await deleteServerAndWait(sim, s.id);
      await expectStatus(
        call(sim, 'DeleteSecurityGroup', 'DELETE', `${P(sim)}/security-groups/${g.id}`),
        204,
      );
      await expectStatus(call(sim, 'ListSecurityGroupRules', 'GET', rules), 404);
    } finally {
      await sim.close();
    }
  });
});

describe('affinity groups', () => {
  test('CreateAffinityGroup checks the policy; a server joins the new group; DeleteAffinityGroup', async () => {
    const sim = await start();
    try {
      const path = `${P(sim)}/affinity-groups`;
      const bad = await expectStatus(
        call(sim, 'CreateAffinityGroup', 'POST', path, { body: { name: 'g', policy: 'anti' } }),
        400,
      );
      assert.match(bad.msg, /^policy: must be one of hard-anti-affinity/);
      const missing = await expectStatus(
        call(sim, 'CreateAffinityGroup', 'POST', path, { body: { name: 'g' } }),
        400,
      );
      assert.match(missing.msg, /"\/policy": property "policy" is missing/);
      const g = await expectStatus(
        call(sim, 'CreateAffinityGroup', 'POST', path, {
          body: { name: 'pool', policy: 'hard-anti-affinity' },
        }),
        201,
      );
      assert.deepEqual(g.members, []);
      const s = await createServer(sim, { affinityGroup: g.id });
      const got = await expectStatus(call(sim, 'GetAffinityGroup', 'GET', `${path}/${g.id}`), 200);
      assert.deepEqual(got.members, [s.id]);
      const all = await expectStatus(call(sim, 'ListAffinityGroups', 'GET', path), 200);
      assert.ok(all.items.some((x: Json) => x.id === g.id));
      await expectStatus(call(sim, 'DeleteAffinityGroup', 'DELETE', `${path}/${g.id}`), 204);
      await expectStatus(call(sim, 'GetAffinityGroup', 'GET', `${path}/${g.id}`), 404);
    } finally {
      await sim.close();
    }
  });
});

describe('volumes', () => {
  test('CreateVolume from an image boots a server; attached volumes refuse deletion; update, resize, label_selector', async () => {
    const sim = await start();
    try {
      const path = `${P(sim)}/volumes`;
      const create = (body: unknown) => call(sim, 'CreateVolume', 'POST', path, { body });
      assert.match((await expectStatus(create({ size: 10 }), 400)).msg, /"\/availabilityZone"/);
      assert.match(
        (await expectStatus(create({ availabilityZone: 'eu01-9', size: 10 }), 400)).msg,
        /availabilityZone/,
      );
      assert.match((await expectStatus(create({ availabilityZone: 'eu01-1' }), 400)).msg, /^size:/);
      const tooSmall = await expectStatus(
        create({ availabilityZone: 'eu01-1', size: 1, source: { type: 'image', id: sim.defaults.imageId } }),
        400,
      );
      assert.match(tooSmall.msg, /size: must be at least 10 GB/);
      const noImage = await expectStatus(
        create({
          availabilityZone: 'eu01-1',
          size: 20,
          source: { type: 'image', id: '00000000-0000-4000-8000-000000000000' },
        }),
        404,
      );
      assert.match(noImage.msg, /source\.id/);

      const boot = await expectStatus(
        create({
          name: 'boot',
          availabilityZone: 'eu01-2',
          size: 20,
          performanceClass: 'storage_premium_perf2',
          labels: { shoot: 'a' },
          source: { type: 'image', id: sim.defaults.imageId },
        }),
        201,
      );
      assert.equal(boot.status, 'AVAILABLE');
      assert.equal(boot.bootable, true);
      const data = await expectStatus(create({ name: 'data', availabilityZone: 'eu01-2', size: 50 }), 201);
      assert.equal(data.bootable, false);
      const copy = await expectStatus(
        create({ name: 'copy', availabilityZone: 'eu01-2', source: { type: 'volume', id: boot.id } }),
        201,
      );
      assert.equal(copy.size, 20);
      assert.equal(copy.bootable, true);

      const s = await createServer(sim, {
        imageId: undefined,
        bootVolume: { source: { type: 'volume', id: boot.id } },
        volumes: [data.id],
      });
      const active = await waitForStatus(sim, s.id, 'ACTIVE');
      assert.equal(active.availabilityZone, 'eu01-2');
      const attached = await expectStatus(call(sim, 'GetVolume', 'GET', `${path}/${data.id}`), 200);
      assert.equal(attached.serverId, s.id);
      const busy = await expectStatus(call(sim, 'DeleteVolume', 'DELETE', `${path}/${data.id}`), 409);
      assert.match(busy.msg, /in use/);

      const updated = await expectStatus(
        call(sim, 'UpdateVolume', 'PATCH', `${path}/${data.id}`, {
          body: { name: 'data-renamed', description: 'logs', labels: { shoot: 'a' } },
        }),
        200,
      );
      assert.equal(updated.name, 'data-renamed');
      await expectStatus(
        call(sim, 'ResizeVolume', 'POST', `${path}/${data.id}/resize`, { body: { size: 80 } }),
        202,
      );
      const shrink = await expectStatus(
        call(sim, 'ResizeVolume', 'POST', `${path}/${data.id}/resize`, { body: { size: 40 } }),
        400,
      );
      assert.match(shrink.msg, /size: the new size must be larger than the current 80 GB/);
      assert.equal((await call(sim, 'GetVolume', 'GET', `${path}/${data.id}`)).body.size, 80);
      const sel = await call(sim, 'ListVolumes', 'GET', `${path}?label_selector=shoot=a`);
      assert.deepEqual(sel.body.items.map((v: Json) => v.id).sort(), [boot.id, data.id].sort());

      await deleteServerAndWait(sim, s.id);
      await expectStatus(call(sim, 'DeleteVolume', 'DELETE', `${path}/${data.id}`), 204);
      await expectStatus(call(sim, 'DeleteVolume', 'DELETE', `${path}/${boot.id}`), 204);
      await expectStatus(call(sim, 'GetVolume', 'GET', `${path}/${boot.id}`), 404);
      const snap = await expectStatus(
        create({ availabilityZone: 'eu01-1', source: { type: 'snapshot', id: copy.id } }),
        501,
      );
      assert.match(snap.msg, /not modelled/);
    } finally {
      await sim.close();
    }
  });
});

describe('faults, counters, persistence and reset cover the new resources', () => {
  test('errorRate and latency hit the new operations; counters count them', async () => {
    const sim = await start();
    try {
      sim.setFaults({ operations: { CreateKeyPair: { errorRate: 1, errorStatus: 503 } } });
      const failed = await expectStatus(
        call(sim, 'CreateKeyPair', 'POST', '/v2/keypairs', { body: { name: 'k1', publicKey: ED25519 } }),
        503,
      );
      assert.equal(failed.code, 503);
      await expectStatus(call(sim, 'GetKeyPair', 'GET', '/v2/keypairs/k1'), 404);

      // errorAfterCommit: the network exists although the answer was lost.
      sim.setFaults({ operations: { CreateNetwork: { errorRate: 1, errorAfterCommit: true } } });
      await expectStatus(
        call(sim, 'CreateNetwork', 'POST', `${P(sim)}/networks`, {
          body: { name: 'lost', ipv4: { prefixLength: 28 } },
        }),
        500,
      );
      const nets = (await call(sim, 'ListNetworks', 'GET', `${P(sim)}/networks`)).body.items;
      assert.ok(nets.some((n: Json) => n.name === 'lost'));

      // The generic profile ('*') reaches them as well.
      sim.setFaults({ operations: { '*': { latency: { ms: 150 } } } });
      const t0 = performance.now();
      await expectStatus(
        call(sim, 'CreateSecurityGroup', 'POST', `${P(sim)}/security-groups`, { body: { name: 'slow' } }),
        201,
      );
      assert.ok(performance.now() - t0 >= 140);
      sim.setFaults({ operations: { '*': { errorRate: 1, errorStatus: 502 } } });
      await expectStatus(
        call(sim, 'CreateVolume', 'POST', `${P(sim)}/volumes`, {
          body: { availabilityZone: 'eu01-1', size: 1 },
        }),
        502,
      );
      sim.setFaults({});

      const c = sim.counters();
      assert.deepEqual(c.byOperationAndStatus.CreateKeyPair, { 503: 1 });
      assert.deepEqual(c.byOperationAndStatus.CreateNetwork, { 500: 1 });
      assert.deepEqual(c.byOperationAndStatus.CreateSecurityGroup, { 201: 1 });
      assert.deepEqual(c.byOperationAndStatus.CreateVolume, { 502: 1 });
      assert.equal(c.faults.error, 3);
      assert.equal(c.faults.latency, 1);
    } finally {
      await sim.close();
    }
  });

  test('malformed-body faults apply to the new operations', async () => {
    const sim = await start();
    try {
      sim.setFaults({
        operations: { CreateAffinityGroup: { malformedRate: 1, malformedKind: 'missing-required' } },
      });
      const r = await call(sim, 'CreateAffinityGroup', 'POST', `${P(sim)}/affinity-groups`, {
        body: { name: 'g', policy: 'soft-affinity' },
        noSpec: true,
      });
      assert.equal(r.status, 201);
      assert.equal(r.body.name, undefined);
      assert.equal(r.body.policy, undefined);
    } finally {
      await sim.close();
    }
  });

  test('the state file keeps created resources across a restart; reset() returns to the seed', async () => {
    const stateFile = join(tmp, 'state.json');
    let sim = await start({ stateFile });
    const kp = await expectStatus(
      call(sim, 'CreateKeyPair', 'POST', '/v2/keypairs', { body: { name: 'persisted', publicKey: ED25519 } }),
      201,
    );
    const net = await expectStatus(
      call(sim, 'CreateIsolatedNetwork', 'POST', `${P(sim)}/isolated-network`, {
        body: { name: 'persisted', ipv4: { prefix: '10.77.0.0/24' } },
      }),
      202,
    );
    const g = await expectStatus(
      call(sim, 'CreateSecurityGroup', 'POST', `${P(sim)}/security-groups`, { body: { name: 'persisted' } }),
      201,
    );
    const vol = await expectStatus(
      call(sim, 'CreateVolume', 'POST', `${P(sim)}/volumes`, {
        body: { availabilityZone: 'eu01-1', size: 5 },
      }),
      201,
    );
    const ag = await expectStatus(
      call(sim, 'CreateAffinityGroup', 'POST', `${P(sim)}/affinity-groups`, {
        body: { name: 'p', policy: 'soft-affinity' },
      }),
      201,
    );
    await sim.close();

    sim = await start({ stateFile });
    try {
      assert.deepEqual((await call(sim, 'GetKeyPair', 'GET', '/v2/keypairs/persisted')).body, kp);
      assert.deepEqual((await call(sim, 'GetNetwork', 'GET', `${P(sim)}/networks/${net.id}`)).body, net);
      assert.deepEqual(
        (await call(sim, 'GetSecurityGroup', 'GET', `${P(sim)}/security-groups/${g.id}`)).body,
        g,
      );
      assert.deepEqual((await call(sim, 'GetVolume', 'GET', `${P(sim)}/volumes/${vol.id}`)).body, vol);
      assert.equal(
        (await call(sim, 'GetAffinityGroup', 'GET', `${P(sim)}/affinity-groups/${ag.id}`)).status,
        200,
      );
      // The restored router address is taken: the next network gets another one.
      const next = await expectStatus(
        call(sim, 'CreateIsolatedNetwork', 'POST', `${P(sim)}/isolated-network`, {
          body: { name: 'next', ipv4: { prefix: '10.78.0.0/24' } },
        }),
        202,
      );
      assert.notEqual(next.ipv4.publicIp, net.ipv4.publicIp);

      sim.reset();
      await expectStatus(call(sim, 'GetKeyPair', 'GET', '/v2/keypairs/persisted'), 404);
      await expectStatus(call(sim, 'GetNetwork', 'GET', `${P(sim)}/networks/${net.id}`), 404);
      await expectStatus(call(sim, 'GetSecurityGroup', 'GET', `${P(sim)}/security-groups/${g.id}`), 404);
      await expectStatus(call(sim, 'GetVolume', 'GET', `${P(sim)}/volumes/${vol.id}`), 404);
      await expectStatus(call(sim, 'GetAffinityGroup', 'GET', `${P(sim)}/affinity-groups/${ag.id}`), 404);
      await expectStatus(call(sim, 'GetKeyPair', 'GET', `/v2/keypairs/${sim.defaults.keypairName}`), 200);
    } finally {
      await sim.close();
    }
  });
});

describe('arbitrary create bodies', () => {
  test('never crash the simulator: every answer is documented or 501, with a spec-valid body', async () => {
    const sim = await start();
    try {
      const junk = fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.integer({ min: -5, max: 70000 }),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
      );
      // Mostly plausible values, sometimes junk, so that creates succeed as well as fail.
      const maybe = <T>(good: fc.Arbitrary<T>) =>
        fc.oneof({ weight: 4, arbitrary: good as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: junk });
      const group = (
        await call(sim, 'CreateSecurityGroup', 'POST', `${P(sim)}/security-groups`, {
          body: { name: 'fuzz' },
        })
      ).body;
      const cidr = fc
        .tuple(
          fc.integer({ min: 0, max: 255 }),
          fc.integer({ min: 0, max: 255 }),
          fc.integer({ min: 6, max: 31 }),
        )
        .map(([a, b, len]) => `10.${a}.${b}.0/${len}`);
      const cases = [
        {
          op: 'CreateNetwork',
          path: `${P(sim)}/networks`,
          body: fc.record(
            {
              name: maybe(fc.constantFrom('net', 'shoot--a--b')),
              labels: maybe(
                fc.dictionary(fc.constantFrom('a', 'b/c', 'stackit-x'), fc.constantFrom('x', '')),
              ),
              routed: maybe(fc.boolean()),
              ipv4: maybe(
                fc.oneof(
                  fc.record(
                    { prefix: maybe(cidr), gateway: maybe(fc.constantFrom('10.0.0.1', null)) },
                    { requiredKeys: [] },
                  ),
                  fc.record({ prefixLength: maybe(fc.integer({ min: 6, max: 31 })) }),
                ),
              ),
            },
            { requiredKeys: [] },
          ),
        },
        {
          op: 'CreateSecurityGroupRule',
          path: `${P(sim)}/security-groups/${group.id}/rules`,
          body: fc.record(
            {
              direction: maybe(fc.constantFrom('ingress', 'egress')),
              ethertype: maybe(fc.constantFrom('IPv4', 'IPv6')),
              protocol: maybe(
                fc.oneof(fc.constantFrom('tcp', 'udp', 'icmp', 'gre'), fc.integer({ min: 0, max: 255 })),
              ),
              ipRange: maybe(cidr),
              portRange: maybe(
                fc.record({
                  min: fc.integer({ min: 0, max: 70000 }),
                  max: fc.integer({ min: 0, max: 65535 }),
                }),
              ),
            },
            { requiredKeys: [] },
          ),
        },
        {
          op: 'CreateVolume',
          path: `${P(sim)}/volumes`,
          body: fc.record(
            {
              availabilityZone: maybe(fc.constantFrom('eu01-1', 'eu01-m', 'eu02-1')),
              size: maybe(fc.integer({ min: -1, max: 17000 })),
              source: maybe(
                fc.record({
                  type: fc.constantFrom('image', 'volume', 'snapshot', 'disk'),
                  id: fc.constantFrom(sim.defaults.imageId, '596734d1-c4c9-481f-a4f7-5ec69bf37af3', 'nope'),
                }),
              ),
              bootable: maybe(fc.boolean()),
            },
            { requiredKeys: [] },
          ),
        },
        {
          op: 'CreateKeyPair',
          path: '/v2/keypairs',
          body: fc.record(
            {
              name: maybe(fc.string({ minLength: 1, maxLength: 8 })),
              publicKey: maybe(fc.constantFrom(ED25519, `${ED25519} c@d`, 'ssh-rsa AAAA')),
              labels: maybe(fc.dictionary(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y'))),
            },
            { requiredKeys: [] },
          ),
        },
      ];
      for (const c of cases) {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
              { weight: 5, arbitrary: c.body },
            ),
            async (b) => {
              const r = await call(sim, c.op, 'POST', c.path, { body: b }); // checks the body against the spec
              assert.ok([201, 202, 400, 404, 409, 501].includes(r.status), `${c.op} ${r.status} ${r.text}`);
            },
          ),
          { numRuns: 80, seed: 11 },
        );
      }
      assert.equal((await fetch(`${sim.url}/admin/healthz`)).status, 200);
      // The property must have exercised both sides of every operation.
      const seen = sim.counters().byOperationAndStatus;
      for (const c of cases) {
        const statuses = Object.keys(seen[c.op] ?? {});
        assert.ok(
          statuses.some((s) => s.startsWith('2')),
          `${c.op}: no success among ${statuses.join(',')}`,
        );
        assert.ok(statuses.includes('400'), `${c.op}: no 400 among ${statuses.join(',')}`);
      }
    } finally {
      await sim.close();
    }
  });
});
