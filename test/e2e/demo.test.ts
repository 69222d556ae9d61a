// `make demo` as a new user runs it, in one run: the URLs, IDs, kubeconfig and a ready Secret +
// MachineClass file are printed as soon as the stack is up; a YAML --seed reaches the simulator;
// --replicas 0 says there is nothing to wait for; the file applies under new names, and Machines
// the user creates by hand (a bare Machine, another MachineDeployment) show up in the phase lines
// with a 20 s boot as (creating), Pending, Running, never a failure phase (issue 14); Ctrl-C stops
// everything and removes the key file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { defaultSeed } from '../../src/simulator/index.ts';
import { repoRoot } from '../../stack/binaries.ts';
import { machine, machineDeployment, mcmClient } from '../../stack/mcm-objects.ts';
import { waitFor } from '../../stack/processes.ts';

const field = (out: string, name: string) => new RegExp(`^\\[demo\\] ${name}:\\s+(\\S+)`, 'm').exec(out)?.[1];

describe('e2e: the demo', { timeout: 600_000 }, () => {
  test('prints what a user needs at start and shows every Machine of the namespace', async (t) => {
    // A seed with its own project id and keypair name: the demo must print and use these.
    const seed = defaultSeed();
    const project = seed.projects[0]!;
    project.id = randomUUID();
    seed.keypairs[0]!.name = 'demo-test-keypair';
    const seedFile = join(mkdtempSync(join(tmpdir(), 'demo-test-')), 'seed.yaml');
    writeFileSync(seedFile, YAML.stringify(seed));

    const child = spawn(
      join(repoRoot, 'node_modules/.bin/node'),
      [join(repoRoot, 'scripts/demo.ts'), '--replicas', '0', '--boot-delay', '20000', '--seed', seedFile],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGINT');
    });
    const alive = () => {
      if (child.exitCode !== null) throw new Error(`demo exited with ${child.exitCode}:\n${out}`);
      return true;
    };

    await waitFor(() => alive() && out.includes('nothing to wait for'), {
      timeoutMs: 300_000,
      what: 'the demo to print "nothing to wait for"',
    });
    t.diagnostic(
      out
        .split('\n')
        .filter((l) => l.includes(':  '))
        .join('\n'),
    );

    // Printed at start, before any Machine line, with the seed's IDs.
    assert.doesNotMatch(out, /\ds: machine /, 'no Machine yet');
    assert.match(field(out, 'simulator') ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(field(out, 'token URL'), `${field(out, 'simulator')}/token`);
    assert.equal(field(out, 'project'), project.id);
    assert.equal(field(out, 'network'), project.networks[0]!.id);
    assert.equal(field(out, 'image'), seed.images[0]!.id);
    assert.equal(field(out, 'security group'), project.securityGroups[0]!.id);
    assert.equal(field(out, 'keypair'), 'demo-test-keypair');
    assert.equal(field(out, 'availability zone'), seed.regions[0]!.availabilityZones[0]);
    const kubeconfig = field(out, 'kubeconfig')!;
    const namespace = field(out, 'namespace')!;
    const classFile = field(out, 'Secret \\+ MachineClass')!;
    assert.ok(
      out.includes(`kubectl --kubeconfig ${kubeconfig} -n ${namespace} get machines -o wide`),
      'a kubectl example',
    );
    assert.match(out, /replicas 0: nothing to wait for/);

    // The file: private, both objects, the printed IDs, never the key on stdout.
    assert.equal(statSync(classFile).mode & 0o777, 0o600);
    const [secret, machineClass] = YAML.parseAllDocuments(readFileSync(classFile, 'utf8')).map((d) =>
      d.toJS(),
    );
    assert.equal(secret.kind, 'Secret');
    assert.equal(machineClass.kind, 'MachineClass');
    assert.equal(secret.stringData.projectId, project.id);
    assert.equal(machineClass.providerSpec.keypairName, 'demo-test-keypair');
    assert.deepEqual(machineClass.providerSpec.securityGroups, [project.securityGroups[0]!.id]);
    assert.ok(!out.includes('PRIVATE KEY'), 'the key stays out of the output');

    // Applied under new names, as the header says; then Machines the demo did not make.
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const objects = mcmClient(kc, namespace);
    secret.metadata.name = 'hand-credentials';
    machineClass.metadata.name = 'hand-class';
    machineClass.secretRef.name = 'hand-credentials';
    machineClass.credentialsSecretRef.name = 'hand-credentials';
    await kc.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace, body: secret });
    await objects.create('machineclasses', machineClass);
    await objects.create('machines', machine('by-hand', namespace, 'hand-class'));
    await objects.create(
      'machinedeployments',
      machineDeployment('other-workers', namespace, 'hand-class', 1),
    );

    const phases = (name: RegExp) =>
      [...out.matchAll(/machine (\S+) (\S+), ip/g)].filter((m) => name.test(m[1]!)).map((m) => m[2]!);
    await waitFor(
      () =>
        alive() && phases(/^by-hand$/).includes('Running') && phases(/^other-workers-/).includes('Running'),
      { timeoutMs: 180_000, what: 'both hand-made Machines Running in the demo output' },
    );
    t.diagnostic(
      out
        .split('\n')
        .filter((l) => l.includes(': machine '))
        .join('\n'),
    );
    for (const name of [/^by-hand$/, /^other-workers-/]) {
      const seen = new Set(phases(name));
      assert.ok(seen.has('(creating)'), `${name} phases shown: ${[...seen]}`);
      assert.deepEqual(
        [...seen].filter((p) => !['(creating)', 'Pending', 'Running'].includes(p)),
        [],
        'no CrashLoopBackOff, no Failed',
      );
    }
    assert.match(out, /machine by-hand Running, ip \S+, server ACTIVE; lastOperation Create\/Successful/);

    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /stopped: simulator/);
    assert.ok(!existsSync(classFile), 'the key file is removed on Ctrl-C');
  });
});
