// Every manifest under kubernetes/ and every sample under samples/ is accepted by a real
// kube-apiserver (server-side apply, strict field validation), the MachineClass samples pass the
// driver's own schema, the kustomizations list every file, and the Deployment is what the image and
// the RBAC expect (ports, probes, non-root, read-only root filesystem, flags the binaries know).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatFieldErrors } from '../../src/machine-class/field-error.ts';
import { parseProviderSpec } from '../../src/machine-class/provider-spec.ts';
import { repoRoot } from '../../stack/binaries.ts';
import { type ControlPlane, startControlPlane } from '../../stack/control-plane.ts';
import { createNamespace } from '../../stack/mcm-objects.ts';
import { MACHINE_CONTROLLER_BIN } from '../../stack/stack.ts';
import {
  controlDeployment,
  controlDir,
  type KubeObject,
  loadDocs,
  manifestDocs,
  serverSideApply,
  targetDir,
  yamlFiles,
} from './manifests.ts';

const sampleDocs = () => yamlFiles('samples').flatMap((file) => loadDocs(file).map((doc) => ({ file, doc })));
const kustomization = (dir: string) => loadDocs(join(repoRoot, dir, 'kustomization.yaml'))[0] as KubeObject;
const flagName = (arg: string) => arg.split('=')[0] as string;

describe('manifests and samples on a real kube-apiserver', { timeout: 300_000 }, () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
  });
  after(async () => {
    await cp?.stop();
  });

  test('every manifest and sample is accepted by server-side apply', async () => {
    const controlNamespace = kustomization(controlDir).namespace as string;
    const namespaces = new Set([controlNamespace]);
    for (const { doc } of sampleDocs()) if (doc.metadata?.namespace) namespaces.add(doc.metadata.namespace);
    for (const ns of namespaces) {
      if (!['default', 'kube-system'].includes(ns)) await createNamespace(cp.kubeConfig, ns);
    }
    const applied: string[] = [];
    const rejected: string[] = [];
    const all = [
      ...manifestDocs(controlDir).map((m) => ({ ...m, ns: controlNamespace })),
      ...manifestDocs(targetDir).map((m) => ({ ...m, ns: undefined })),
      ...sampleDocs().map((m) => ({ ...m, ns: undefined })),
    ];
    for (const { file, doc, ns } of all) {
      try {
        const out = await serverSideApply(cp.kubeConfig, doc, ns);
        applied.push(`${file.slice(repoRoot.length + 1)}: ${out.kind}/${out.metadata.name}`);
      } catch (e) {
        rejected.push(`${file.slice(repoRoot.length + 1)}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(rejected, []);
    // Sanity: the walk found the files (a renamed directory must not make this test vacuous).
    for (const kind of [
      'Deployment',
      'Role',
      'ClusterRole',
      'MachineClass',
      'Machine',
      'MachineDeployment',
    ]) {
      assert.ok(
        applied.some((a) => a.includes(`: ${kind}/`)),
        `no ${kind} applied: ${applied.join(', ')}`,
      );
    }
  });

  test('the check can fail: a misspelt field or a bad value is rejected', async () => {
    const { deployment } = controlDeployment();
    const typo = structuredClone(deployment);
    typo.metadata.name = 'typo';
    typo.spec.template.spec.containers[1].imagePullPolicyy = 'Always';
    await assert.rejects(serverSideApply(cp.kubeConfig, typo, 'default'), /imagePullPolicyy/);
    const [cls] = loadDocs(join(repoRoot, 'samples/machine-class-minimal.yaml'));
    assert.ok(cls);
    delete cls.providerSpec;
    await assert.rejects(serverSideApply(cp.kubeConfig, cls), /providerSpec/);
  });

  test('every sample MachineClass passes the driver schema', () => {
    const classes = sampleDocs().filter((d) => d.doc.kind === 'MachineClass');
    assert.ok(classes.length >= 3);
    for (const { file, doc } of classes) {
      assert.equal(doc.provider, 'stackit', file);
      const r = parseProviderSpec(doc.providerSpec);
      assert.ok(r.ok, `${file}: ${r.ok ? '' : formatFieldErrors(r.errors)}`);
    }
  });

  test('sample Machines and MachineDeployments use a sample MachineClass in their namespace', () => {
    const docs = sampleDocs().map((d) => d.doc);
    const classes = new Set(
      docs.filter((d) => d.kind === 'MachineClass').map((d) => `${d.metadata.namespace}/${d.metadata.name}`),
    );
    for (const d of docs.filter((x) => x.kind === 'Machine' || x.kind === 'MachineDeployment')) {
      const cls = d.kind === 'Machine' ? d.spec.class : d.spec.template.spec.class;
      assert.ok(
        classes.has(`${d.metadata.namespace}/${cls.name}`),
        `${d.kind}/${d.metadata.name} -> ${cls.name}`,
      );
    }
  });
});

describe('manifests, statically', () => {
  test('each kustomization lists exactly the YAML files of its directory', () => {
    for (const dir of [controlDir, targetDir]) {
      const listed = (kustomization(dir).resources as string[]).toSorted();
      const files = readdirSync(join(repoRoot, dir))
        .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
        .toSorted();
      assert.deepEqual(listed, files, dir);
    }
    const images = kustomization(controlDir).images as KubeObject[];
    const { provider } = controlDeployment();
    assert.ok(images.some((i) => provider.image.startsWith(`${i.name}:`)));
  });

  test('the Deployment runs both containers as Gardener does, non-root, read-only, probed', () => {
    const { deployment, mcm, provider } = controlDeployment();
    const pod = deployment.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.securityContext.runAsUser, 65532, 'the image user');
    const sa = manifestDocs(controlDir).find((d) => d.doc.kind === 'ServiceAccount')?.doc;
    assert.equal(pod.serviceAccountName, sa?.metadata.name);
    const binding = manifestDocs(controlDir).find((d) => d.doc.kind === 'RoleBinding')?.doc;
    assert.equal(binding?.subjects[0].name, sa?.metadata.name);
    for (const [c, port] of [
      [mcm, 10258],
      [provider, 10259],
    ] as const) {
      assert.ok(c.args.includes(`--port=${port}`), `${c.name} --port`);
      assert.ok(c.args.includes('--leader-elect=true'), `${c.name} leader election`);
      assert.ok(c.args.includes('--namespace=$(NAMESPACE)'));
      assert.ok(c.args.includes('--control-kubeconfig=inClusterConfig'));
      assert.ok(c.args.some((a: string) => a.startsWith('--target-kubeconfig=/')));
      assert.equal(c.ports[0].containerPort, port);
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        assert.deepEqual([probe.httpGet.path, probe.httpGet.port], ['/healthz', port], c.name);
      }
      assert.equal(c.securityContext.readOnlyRootFilesystem, true, c.name);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false, c.name);
    }
    // The plugin's socket directory is a writable emptyDir: TMPDIR points at it.
    const tmp = provider.volumeMounts.find((m: KubeObject) => m.mountPath === '/tmp');
    assert.ok(pod.volumes.find((v: KubeObject) => v.name === tmp?.name)?.emptyDir);
    assert.equal(provider.env.find((e: KubeObject) => e.name === 'TMPDIR')?.value, '/tmp');
    // The Service's target ports are the containers' port names.
    const svc = manifestDocs(controlDir).find((d) => d.doc.kind === 'Service')?.doc;
    assert.deepEqual(
      svc?.spec.ports.map((p: KubeObject) => p.targetPort),
      [mcm.ports[0].name, provider.ports[0].name],
    );
  });

  test('every flag in the Deployment exists in the binary it is passed to', async () => {
    const { mcm, provider } = controlDeployment();
    const { resolveBinDir } = await import('../../stack/binaries.ts');
    // pflag prints the usage to stdout or stderr, with exit code 0 or 2, depending on the binary.
    const help = (bin: string) => {
      const r = spawnSync(bin, ['--help'], { encoding: 'utf8', timeout: 60_000 });
      return `${r.stdout}${r.stderr}`;
    };
    const mcmHelp = help(join(await resolveBinDir(), 'machine-controller-manager'));
    const mcHelp = help(MACHINE_CONTROLLER_BIN);
    for (const [c, text] of [
      [mcm, mcmHelp],
      [provider, mcHelp],
    ] as const) {
      const unknown = (c.args as string[]).map(flagName).filter((f) => !text.includes(`${f} `));
      assert.deepEqual(unknown, [], `${c.name}: flags its binary does not have`);
    }
  });

  test('samples/deployment.yaml (one cluster) has the same RBAC and containers as kubernetes/', () => {
    const single = loadDocs(join(repoRoot, 'samples/deployment.yaml'));
    const all = [...manifestDocs(controlDir), ...manifestDocs(targetDir)].map((d) => d.doc);
    for (const kind of ['Role', 'ClusterRole']) {
      const rules = (docs: KubeObject[]) =>
        Object.fromEntries(docs.filter((d) => d.kind === kind).map((d) => [d.metadata.name, d.rules]));
      assert.deepEqual(rules(single), rules(all), kind);
    }
    for (const b of single.filter((d) => d.kind.endsWith('Binding'))) {
      assert.deepEqual(
        b.subjects,
        [{ kind: 'ServiceAccount', name: 'machine-controller-manager', namespace: 'default' }],
        b.metadata.name,
      );
    }
    const dep = single.find((d) => d.kind === 'Deployment') as KubeObject;
    const { deployment } = controlDeployment();
    const normalize = (c: KubeObject) => ({
      ...c,
      args: c.args.filter((a: string) => !/^--(control|target)-kubeconfig=/.test(a)),
      volumeMounts: (c.volumeMounts ?? []).filter((m: KubeObject) => m.name !== 'target-kubeconfig'),
    });
    assert.deepEqual(
      dep.spec.template.spec.containers.map(normalize),
      deployment.spec.template.spec.containers.map(normalize),
    );
    for (const c of dep.spec.template.spec.containers) {
      assert.ok(!c.args.some((a: string) => a.includes('kubeconfig')), 'in-cluster config for both clusters');
    }
  });
});
