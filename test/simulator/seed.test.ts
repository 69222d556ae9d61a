// Seed files: YAML as well as JSON, checked with errors that name the path of each problem, through
// `loadSeedFile`, `startSimulator({seed: path})` and the CLI's `--seed`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSeedFile } from '../../src/simulator/index.ts';
import { call, createServer, projectPath, start, waitForStatus } from './helpers.ts';

const tmp = mkdtempSync(join(tmpdir(), 'stackit-sim-seed-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

const PROJECT = '0b9f3c1e-5a1d-4f7e-9a43-6f0e2c7d8b11';
const NETWORK = '4c2d7e90-1b3a-4f5e-8d6c-9a0b1c2d3e4f';
const GROUP = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

const YAML_SEED = `# a shoot's project
regions:
  - name: eu01
    availabilityZones: [eu01-1, eu01-2, eu01-m]
machineTypes:
  - { name: c2i.2, vcpus: 2, ram: 4096, disk: 0 }
images:
  - id: 3f1c2b4a-9d8e-4f7a-b6c5-d4e3f2a1b0c9
    name: gardenlinux-1877.3
    minDiskSize: 20
keypairs:
  - name: shoot--dev--a-ssh-publickey
    publicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDsPd27M449akqCtdFg2+AmRVJz6eWio0oMP9dVg7Xe
projects:
  - id: ${PROJECT}
    name: dev
    regions: [eu01]
    networks:
      - id: ${NETWORK}
        name: shoot--dev--a
        ipv4:
          prefixes: [10.250.0.0/16]
          gateway: 10.250.0.1
    securityGroups:
      - id: ${GROUP}
        name: shoot--dev--a
        rules:
          - { direction: ingress, remoteSecurityGroupId: ${GROUP} }
`;

describe('seed files', () => {
  test('a YAML seed loads: its project, keypair (fingerprint computed), network and group serve CreateServer', async () => {
    const path = write('seed.yaml', YAML_SEED);
    const seed = loadSeedFile(path);
    assert.equal(seed.keypairs[0]!.fingerprint, '7e:1a:98:23:ed:2e:6d:7e:cc:a0:70:c4:d7:49:61:d4');
    assert.equal(seed.projects[0]!.networks[0]!.status, 'CREATED', 'spec-required fields are filled in');
    assert.match(seed.projects[0]!.securityGroups[0]!.rules![0]!.id!, /^[0-9a-f-]{36}$/);

    const sim = await start({ seed: path });
    try {
      assert.equal(sim.defaults.projectId, PROJECT);
      assert.deepEqual(sim.defaults.availabilityZone, 'eu01-1');
      const rules = await call(
        sim,
        'ListSecurityGroupRules',
        'GET',
        `${projectPath(sim)}/security-groups/${GROUP}/rules`,
      );
      assert.equal(rules.body.items[0].remoteSecurityGroupId, GROUP);
      const s = await createServer(sim, {
        machineType: 'c2i.2',
        keypairName: 'shoot--dev--a-ssh-publickey',
        securityGroups: ['shoot--dev--a'],
        availabilityZone: 'eu01-2',
      });
      await waitForStatus(sim, s.id, 'ACTIVE');
      // A reset goes back to this seed, rule ids included.
      sim.reset();
      const again = await call(
        sim,
        'ListSecurityGroupRules',
        'GET',
        `${projectPath(sim)}/security-groups/${GROUP}/rules`,
      );
      assert.equal(again.body.items[0].id, rules.body.items[0].id);
    } finally {
      await sim.close();
    }
  });

  test('JSON seeds keep working; missing keys keep the defaults', () => {
    const path = write(
      'seed.json',
      JSON.stringify({
        keypairs: [
          {
            name: 'only',
            publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIDsPd27M449akqCtdFg2+AmRVJz6eWio0oMP9dVg7Xe',
          },
        ],
      }),
    );
    const seed = loadSeedFile(path);
    assert.deepEqual(
      seed.keypairs.map((k) => k.name),
      ['only'],
    );
    assert.ok(seed.machineTypes.length > 5);
    assert.ok(seed.projects.length >= 1);
  });

  test('a bad seed names the file and the path of every problem', () => {
    const bad = write(
      'bad.yaml',
      `keypairs:
  - name: k
    publicKey: ssh-rsa not-base64!
projects:
  - id: ${PROJECT}
    networks:
      - id: ${NETWORK}
        name: n
        ipv4: { prefixes: [10.0.0.0/33] }
    affinityGroups:
      - { id: ${GROUP}, name: g, policy: sometimes }
    securityGroup: []
`,
    );
    assert.throws(
      () => loadSeedFile(bad),
      (e: Error) => {
        assert.match(e.message, new RegExp(`^seed file ${bad.replaceAll('.', '\\.')}: invalid seed data`));
        assert.match(e.message, /keypairs\[0\]\.publicKey: not a valid SSH public key/);
        assert.match(e.message, /projects\[0\]\.networks\[0\]\.ipv4\.prefixes\[0\]: .*IPv4 CIDR/);
        assert.match(e.message, /projects\[0\]\.affinityGroups\[0\]\.policy:/);
        assert.match(e.message, /projects\[0\]: .*securityGroup/);
        return true;
      },
    );
    // Checks after the schema (ids, references) name the path too.
    const dangling = write(
      'dangling.yaml',
      `projects:
  - id: ${PROJECT}
    networks: []
    nics:
      - { id: ${GROUP}, networkId: ${NETWORK} }
`,
    );
    assert.throws(() => loadSeedFile(dangling), /projects\[0\]\.nics\[0\]\.networkId: no such network/);
    const syntax = write('syntax.yaml', 'projects: [\n');
    assert.throws(() => loadSeedFile(syntax), /seed file .*syntax\.yaml: not valid YAML or JSON/);
    assert.throws(() => loadSeedFile(join(tmp, 'missing.yaml')), /seed file .*missing\.yaml: ENOENT/);
  });

  test('the CLI refuses a bad seed with the path and exit code 2', () => {
    const bad = write('cli-bad.yaml', 'machineTypes:\n  - { name: x, vcpus: 0, ram: 1, disk: 0 }\n');
    const main = fileURLToPath(new URL('../../src/simulator/main.ts', import.meta.url));
    const r = spawnSync(process.execPath, [main, '--port', '0', '--seed', bad], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /machineTypes\[0\]\.vcpus: /);
    assert.match(r.stderr, /--seed <file> +seed data \(YAML or JSON/);
  });
});
