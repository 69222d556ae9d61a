// `stackit-machine-class check` as a user runs it: a subprocess against a running simulator, judged
// by exit code and the lines it prints.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { completeSeed, defaultSeed } from '../../src/simulator/index.ts';
import {
  type CheckEnv,
  runCheck,
  secretData,
  seededVolumes,
  startCheckEnv,
  validSpec,
  writeClass,
  writeFile,
} from './helpers.ts';

const U1 = '11111111-1111-1111-1111-111111111111';
const U2 = '22222222-2222-2222-2222-222222222222';
const U3 = '33333333-3333-3333-3333-333333333333';

let env: CheckEnv;
before(async () => {
  env = await startCheckEnv();
});
after(() => env.close());

/** No key material, token or user data in anything the check prints. */
function assertNoSecrets(out: string): void {
  assert.doesNotMatch(out, /PRIVATE KEY|BEGIN |eyJ/);
  const key = JSON.parse(env.keyJson) as { credentials: { privateKey: string } };
  const body = key.credentials.privateKey.split('\n')[1]!;
  assert.ok(!out.includes(body), 'the private key is printed');
  assert.ok(!out.includes('#cloud-config'), 'the user data is printed');
}

function assertNoStack(out: string): void {
  assert.doesNotMatch(out, /^\s+at .+:\d+:\d+\)?$/m, 'a stack trace is printed');
}

describe('a valid class', () => {
  test('exits 0 and says where it checked', async () => {
    const r = await runCheck(env, ['check', '-f', writeClass(env, validSpec(env))]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 problems/);
    assert.match(
      r.stdout,
      new RegExp(
        `checked offline and online \\(${env.sim.url}, project ${env.sim.defaults.projectId}, region eu01\\)`,
      ),
    );
    assertNoSecrets(r.stdout + r.stderr);
  });

  test('with data volumes and a boot volume from an image: exits 0 with warnings only', async () => {
    const spec = {
      ...validSpec(env),
      bootVolume: { size: 20, source: { type: 'image', id: env.sim.defaults.imageId } },
      imageId: undefined,
      volumes: [seededVolumes(env).data.id],
      securityGroup: ['typo'],
    };
    const r = await runCheck(env, ['-f', writeClass(env, spec)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /WARNING providerSpec\.securityGroup: unknown field, ignored; did you mean securityGroups\?/,
    );
    assert.match(r.stdout, /WARNING providerSpec\.volumes: a volume attaches to one server/);
  });

  test('--output json carries the findings and the exit code', async () => {
    const r = await runCheck(env, [
      '-f',
      writeClass(env, { ...validSpec(env), keypairName: 'nope' }),
      '-o',
      'json',
    ]);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout) as {
      exitCode: number;
      classes: { findings: { severity: string; path: string }[] }[];
    };
    assert.equal(out.exitCode, 1);
    assert.deepEqual(
      out.classes[0]!.findings.filter((f) => f.severity === 'error').map((f) => f.path),
      ['providerSpec.keypairName'],
    );
  });
});

describe('each kind of dangling ID: the field path, what exists instead, exit 1', () => {
  const cases: { kind: string; change: (spec: Record<string, unknown>) => void; line: RegExp }[] = [
    {
      kind: 'image',
      change: (s) => {
        s.imageId = U1;
      },
      line: /ERROR {3}providerSpec\.imageId: image "1{8}-1{4}-1{4}-1{4}-1{12}" not found in project .*; images that exist: .*Ubuntu 22\.04 \(id 9a67d001-3029-4a25-8c7b-47d68bcba41c\)/,
    },
    {
      kind: 'machine type',
      change: (s) => {
        s.machineType = 'c2i.3';
      },
      line: /ERROR {3}providerSpec\.machineType: machine type "c2i\.3" does not exist in project .*; machine types that exist: c2i\.2 \(2 vCPU, 4 GB\)/,
    },
    {
      kind: 'network',
      change: (s) => {
        s.networking = { networkId: U1 };
      },
      line: /ERROR {3}providerSpec\.networking\.networkId: network "1{8}-.*" not found .*; networks that exist: .*sim-network \(id d7ae2c69-4059-447f-98b6-03fb11def4c0\)/,
    },
    {
      kind: 'security group (by name)',
      change: (s) => {
        s.securityGroups = ['default', 'sim-nodez'];
      },
      line: /ERROR {3}providerSpec\.securityGroups\.1: security group "sim-nodez" not found by name or id .*; security groups that exist: sim-nodes \(id 5ae51705-/,
    },
    {
      kind: 'security group (by id)',
      change: (s) => {
        s.securityGroups = [U1];
      },
      line: /ERROR {3}providerSpec\.securityGroups\.0: security group "1{8}-.*" not found by name or id/,
    },
    {
      kind: 'keypair',
      change: (s) => {
        s.keypairName = 'shoot--p--s-ssh-publickey';
      },
      line: /ERROR {3}providerSpec\.keypairName: keypair "shoot--p--s-ssh-publickey" not found .*; keypairs that exist: sim-keypair/,
    },
    {
      kind: 'affinity group',
      change: (s) => {
        s.affinityGroup = U1;
      },
      line: /ERROR {3}providerSpec\.affinityGroup: affinity group "1{8}-.*" not found .*; affinity groups that exist: sim-soft-anti-affinity/,
    },
    {
      kind: 'data volume',
      change: (s) => {
        s.volumes = [U1];
      },
      line: /ERROR {3}providerSpec\.volumes\.0: volume "1{8}-.*" not found .*; available volumes: .*sim-data-volume \(id f33ba729-6184-4e82-85cf-8891772a1c7f, eu01-1\)/,
    },
    {
      kind: 'boot volume',
      change: (s) => {
        delete s.imageId;
        s.bootVolume = { source: { type: 'volume', id: U1 } };
      },
      line: /ERROR {3}providerSpec\.bootVolume\.source\.id: volume "1{8}-.*" not found .*; available volumes: sim-bootable-volume/,
    },
    {
      kind: 'region',
      change: (s) => {
        s.region = 'eu09';
        delete s.availabilityZone;
      },
      line: /ERROR {3}providerSpec\.region: region eu09 is not known to the API/,
    },
    {
      kind: 'availability zone',
      change: (s) => {
        s.availabilityZone = 'eu01-9';
      },
      line: /ERROR {3}providerSpec\.availabilityZone: availability zone "eu01-9" does not exist in region eu01; zones that exist: eu01-1, eu01-2, eu01-3, eu01-m/,
    },
  ];
  for (const c of cases) {
    test(c.kind, async () => {
      const spec = validSpec(env);
      c.change(spec);
      const r = await runCheck(env, ['check', '-f', writeClass(env, spec)]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, c.line);
      assert.equal(r.stdout.match(/ERROR/g)?.length, 1, `exactly one problem:\n${r.stdout}`);
      assert.match(r.stdout, /exit 1 \(problems found\)/);
      assertNoSecrets(r.stdout + r.stderr);
    });
  }

  test('a project that does not exist is named at secret.projectId', async () => {
    const file = writeClass(env, validSpec(env), secretData(env, { projectId: randomUUID() }));
    const r = await runCheck(env, ['-f', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /ERROR {3}secret\.projectId: project [0-9a-f-]{36} not found in region eu01/);
  });

  test('things that do not fit: an image larger than the boot volume, a volume in another zone', async () => {
    const spec = {
      ...validSpec(env),
      imageId: undefined,
      availabilityZone: 'eu01-2',
      bootVolume: { size: 5, source: { type: 'image', id: env.sim.defaults.imageId } },
      volumes: [seededVolumes(env).data.id],
    };
    const r = await runCheck(env, ['-f', writeClass(env, spec)]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /ERROR {3}providerSpec\.bootVolume\.size: is 5 GB; image "Ubuntu 24\.04" needs at least 10 GB/,
    );
    assert.match(
      r.stdout,
      /ERROR {3}providerSpec\.volumes\.0: volume "sim-data-volume" is in eu01-1, the server in eu01-2/,
    );
  });
});

describe('IDs that exist but do not fit', () => {
  let seeded: CheckEnv;
  before(async () => {
    const seed = defaultSeed();
    seed.images.push({
      ...seed.images[0]!,
      id: U2,
      name: 'retired-image',
      status: 'DEACTIVATED',
      minRam: 64 * 1024,
    });
    seed.projects[0]!.volumes.push({
      id: U3,
      name: 'busy-volume',
      availabilityZone: 'eu01-1',
      size: 10,
      bootable: false,
      status: 'ATTACHED',
      labels: {},
    });
    seeded = await startCheckEnv(completeSeed(seed));
  });
  after(() => seeded.close());

  test('a deactivated image that needs more RAM than the machine type has; a volume in use', async () => {
    const r = await runCheck(seeded, [
      '-f',
      writeClass(seeded, { ...validSpec(seeded), imageId: U2, volumes: [U3] }),
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /ERROR {3}providerSpec\.imageId: image "retired-image" \(2{8}-.*\) is DEACTIVATED, not AVAILABLE/,
    );
    assert.match(
      r.stdout,
      /ERROR {3}providerSpec\.machineType: machine type c2i\.2 has 4096 MB RAM; image "retired-image" needs at least 65536 MB \(minRam\)/,
    );
    assert.match(
      r.stdout,
      /ERROR {3}providerSpec\.volumes\.0: volume "busy-volume" is ATTACHED; it must be AVAILABLE/,
    );
  });

  test('a boot volume that is not bootable', async () => {
    const spec = {
      ...validSpec(seeded),
      imageId: undefined,
      bootVolume: { source: { type: 'volume', id: seededVolumes(seeded).data.id } },
    };
    const r = await runCheck(seeded, ['-f', writeClass(seeded, spec)]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /ERROR {3}providerSpec\.bootVolume\.source\.id: volume "sim-data-volume" is not bootable/,
    );
  });

  test('a service account without access to the project: secret.projectId, exit 1', async () => {
    const key = await seeded.sim.createServiceAccountKey({ projectIds: [randomUUID()] });
    const file = writeClass(
      seeded,
      validSpec(seeded),
      secretData(seeded, { serviceAccountKey: JSON.stringify(key) }),
    );
    const r = await runCheck(seeded, ['-f', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /ERROR {3}secret\.projectId: the service account may not use project [0-9a-f-]{36} \(.*403.*\)/,
    );
  });
});

describe('offline', () => {
  test('schema errors exit 1 with the field path, without touching the API', async () => {
    const spec = { ...validSpec(env), machineType: 'c2i 4!', region: 'RegionOne' };
    const before = env.sim.counters().total;
    const r = await runCheck(env, ['-f', writeClass(env, spec), '--offline']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /ERROR {3}providerSpec\.machineType: must be a STACKIT machine type/);
    assert.match(r.stdout, /ERROR {3}providerSpec\.region: RegionOne is the OpenStack region name/);
    assert.match(r.stdout, /checked offline only: --offline/);
    assert.equal(env.sim.counters().total, before, 'no API call');
  });

  test('the shipped sample MachineClasses check clean offline', async () => {
    for (const sample of [
      'machine-class.yaml',
      'machine-class-minimal.yaml',
      'machine-class-gardener.yaml',
    ]) {
      const r = await runCheck(undefined, ['-f', `samples/${sample}`, '--offline']);
      assert.equal(r.code, 0, `${sample}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /0 problems, 0 warnings/);
    }
  });

  test('--offline needs no Secret', async () => {
    const r = await runCheck(undefined, ['-f', writeClass(env, validSpec(env), null), '--offline']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  test('schema errors stop the online part', async () => {
    const r = await runCheck(env, ['-f', writeClass(env, { ...validSpec(env), imageId: 'not-a-uuid' })]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ERROR {3}providerSpec\.imageId: must be the UUID of an image/);
    assert.match(r.stdout, /checked offline only: fix the errors above first/);
  });
});

describe('input errors exit 2', () => {
  test('a missing Secret key names the key', async () => {
    const file = writeClass(env, validSpec(env), secretData(env, { projectId: undefined }));
    const r = await runCheck(env, ['-f', file]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /ERROR {3}secret\.projectId: is required/);
    assert.match(r.stdout, /exit 2 \(input error\)/);
    assertNoSecrets(r.stdout + r.stderr);
  });

  test('no Secret at all (and not --offline)', async () => {
    const r = await runCheck(env, ['-f', writeClass(env, validSpec(env), null)]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout, /ERROR {3}secret: no Secret given/);
  });

  test('bad YAML names file, line and column and quotes nothing from the file', async () => {
    const file = writeFile(
      env,
      'broken.yaml',
      'kind: Secret\nstringData:\n  accessToken: "s3cr3t-t0ken\n  projectId: [unclosed\n',
    );
    const r = await runCheck(env, ['-f', file]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /broken\.yaml:\d+:\d+: invalid YAML/);
    assert.ok(!(r.stdout + r.stderr).includes('s3cr3t'), 'file content printed');
    assertNoStack(r.stderr);
  });

  test('an unreadable file', async () => {
    const r = await runCheck(env, ['-f', `${env.dir}/missing.yaml`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /missing\.yaml: cannot read \(ENOENT\)/);
  });

  test('a separate --secret file, and a class that is not in the files', async () => {
    const secretFile = writeFile(
      env,
      'secret.yaml',
      `apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: ${JSON.stringify(secretData(env))}\n`,
    );
    const ok = await runCheck(env, ['-f', writeClass(env, validSpec(env), null), '--secret', secretFile]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(
      ok.stdout,
      /WARNING using .*Secret default\/creds, although the class references shoot--p--s\/workers/,
    );
    const none = await runCheck(env, ['-f', writeClass(env, validSpec(env)), '--name', 'other']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no MachineClass named other; the files hold: workers/);
  });

  test('--help exits 0; an unknown option exits 2 with a clean message', async () => {
    const help = await runCheck(undefined, ['check', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: stackit-machine-class check/);
    assert.match(help.stdout, /Exit codes:/);
    const bad = await runCheck(undefined, ['check', '--fiel', 'x.yaml']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^stackit-machine-class: Unknown option '--fiel'/);
    assertNoStack(bad.stderr);
  });
});

describe('could not verify online: exit 3', () => {
  test('wrong credentials (a key the token endpoint does not know)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const foreign = JSON.parse(env.keyJson) as { id: string; credentials: Record<string, string> };
    foreign.id = randomUUID();
    foreign.credentials.kid = randomUUID();
    foreign.credentials.privateKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const file = writeClass(
      env,
      validSpec(env),
      secretData(env, { serviceAccountKey: JSON.stringify(foreign) }),
    );
    const r = await runCheck(env, ['-f', file]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /UNVERIFIED authentication failed/);
    assert.match(r.stdout, /exit 3 \(could not verify online\)/);
    assert.ok(!(r.stdout + r.stderr).includes(foreign.credentials.privateKey.split('\n')[1]!));
    assertNoSecrets(r.stdout + r.stderr);
  });

  test('an API that keeps failing one lookup: that field is UNVERIFIED (exit 3), unless a problem was found (exit 1)', async () => {
    env.sim.setFaults({ operations: { GetImage: { errorRate: 1, errorStatus: 500 } } });
    try {
      const r = await runCheck(env, ['-f', writeClass(env, validSpec(env))]);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stdout, /UNVERIFIED providerSpec\.imageId: could not check the image: .*500/);
      assert.match(r.stdout, /exit 3 \(could not verify online\)/);
      const both = await runCheck(env, ['-f', writeClass(env, { ...validSpec(env), keypairName: 'gone' })]);
      assert.equal(both.code, 1, both.stdout + both.stderr);
      assert.match(both.stdout, /UNVERIFIED providerSpec\.imageId/);
      assert.match(both.stdout, /ERROR {3}providerSpec\.keypairName/);
    } finally {
      env.sim.setFaults({});
    }
  });

  test('an endpoint nobody answers on', async () => {
    const r = await runCheck(
      env,
      ['-f', writeClass(env, validSpec(env)), '--endpoint', 'http://127.0.0.1:9'],
      {
        STACKIT_TOKEN_BASEURL: env.sim.tokenUrl,
      },
    );
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /UNVERIFIED cannot reach the API/);
  });
});
