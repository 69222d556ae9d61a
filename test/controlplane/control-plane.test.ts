import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../../stack/binaries.ts';
import { type ControlPlane, readMcmCrds, startControlPlane } from '../../stack/control-plane.ts';
import {
  createNamespace,
  machine,
  machineClass,
  machineDeployment,
  mcmClient,
} from '../../stack/mcm-objects.ts';
import { pidExists, waitFor } from '../../stack/processes.ts';

const MCM_MODULE = 'github.com/gardener/machine-controller-manager';

function httpStatus(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

describe('local control plane (etcd + kube-apiserver from source)', () => {
  let control: ControlPlane;
  let target: ControlPlane;

  before(async () => {
    // Two at once, as the control/target split of a Gardener seed and shoot needs.
    [control, target] = await Promise.all([
      startControlPlane({ name: 'control' }),
      startControlPlane({ name: 'target' }),
    ]);
  });

  after(async () => {
    await Promise.all([control?.stop(), target?.stop()]);
  });

  test('serves the four MCM CRDs, and they equal the ones shipped with the pinned MCM module', async () => {
    const mcmDir = execFileSync('go', ['list', '-m', '-f', '{{.Dir}}', MCM_MODULE], {
      cwd: join(repoRoot, 'hack/tools/mcm'),
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' },
      encoding: 'utf8',
    }).trim();
    // Compared as data: the vendored copies are reformatted, not changed.
    assert.deepEqual(readMcmCrds(), readMcmCrds(join(mcmDir, 'kubernetes/crds')));

    const served = await control.kubeConfig
      .makeApiClient(CoreV1Api)
      .listNamespace()
      .then((l) => l.items.map((n) => n.metadata?.name));
    assert.ok(served.includes('kube-system'), 'kube-apiserver created its system namespaces');
  });

  test('stores a MachineClass, a Machine and a MachineDeployment and reads them back', async () => {
    const ns = 'crud';
    await createNamespace(control.kubeConfig, ns);
    const mcm = mcmClient(control.kubeConfig, ns);

    await mcm.create('machineclasses', machineClass('small', ns, { secretName: 'cloud' }));
    await mcm.create('machines', machine('machine-1', ns, 'small'));
    await mcm.create('machinedeployments', machineDeployment('workers', ns, 'small', 2));

    const mc = await mcm.get('machineclasses', 'small');
    assert.equal(mc.provider, 'STACKIT');
    assert.deepEqual(mc.providerSpec, { machineType: 'c1.2', imageId: 'image-for-tests' });
    assert.deepEqual(mc.secretRef, { name: 'cloud', namespace: ns });
    const m = await mcm.get('machines', 'machine-1');
    assert.deepEqual(m.spec.class, { kind: 'MachineClass', name: 'small' });
    const md = await mcm.get('machinedeployments', 'workers');
    assert.equal(md.spec.replicas, 2);
    assert.deepEqual(md.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
    assert.deepEqual(
      (await mcm.list('machines')).map((o) => o.metadata.name),
      ['machine-1'],
    );
  });

  test('rejects malformed objects by CRD schema validation', async () => {
    const ns = 'invalid';
    await createNamespace(control.kubeConfig, ns);
    const mcm = mcmClient(control.kubeConfig, ns);

    const noProviderSpec = machineClass('broken', ns);
    delete noProviderSpec.providerSpec;
    const badReplicas = machineDeployment('broken', ns, 'small', 1);
    badReplicas.spec.replicas = 'three';
    const noTemplate = machineDeployment('broken-2', ns, 'small', 1);
    delete noTemplate.spec.template;
    const classAsString = machine('broken', ns, 'small');
    classAsString.spec.class = 'small';

    for (const [plural, body, field] of [
      ['machineclasses', noProviderSpec, 'providerSpec'],
      ['machinedeployments', badReplicas, 'spec.replicas'],
      ['machinedeployments', noTemplate, 'spec.template'],
      ['machines', classAsString, 'spec.class'],
    ] as const) {
      await assert.rejects(
        mcm.create(plural, body),
        (err: unknown) => {
          assert.equal(httpStatus(err), 422, `${plural} without valid ${field} is Invalid`);
          assert.match(String((err as { body?: unknown }).body), new RegExp(field.replace('.', '\\.')));
          return true;
        },
        `${plural} with a bad ${field} must be rejected`,
      );
    }
    assert.deepEqual(await mcm.list('machinedeployments'), []);
  });

  test('authenticates client certificates and authorizes with RBAC', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(await control.writeKubeconfig('nobody', ['developers']));
    await assert.rejects(
      kc.makeApiClient(CoreV1Api).listNamespace(),
      (err: unknown) => httpStatus(err) === 403,
      'an authenticated user without RBAC grants is forbidden',
    );
    // A cert from the other control plane's CA, presented to this one (whose server CA we trust).
    const stranger = new KubeConfig();
    stranger.loadFromFile(target.kubeconfigPath);
    const cluster = stranger.clusters[0];
    assert.ok(cluster);
    stranger.clusters[0] = {
      ...cluster,
      server: control.server,
      caData: Buffer.from(control.caPem).toString('base64'),
    };
    await assert.rejects(
      stranger.makeApiClient(CoreV1Api).listNamespace(),
      (err: unknown) => httpStatus(err) === 401,
      'a client cert signed by another CA is not authenticated',
    );
  });

  test('two control planes are independent', async () => {
    await createNamespace(target.kubeConfig, 'only-on-target');
    const names = async (cp: ControlPlane) =>
      (await cp.kubeConfig.makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata?.name);
    assert.ok((await names(target)).includes('only-on-target'));
    assert.ok(!(await names(control)).includes('only-on-target'));
    assert.notEqual(control.server, target.server);
    assert.ok(control.pids.every((pid) => !target.pids.includes(pid)));
  });

  test('stop() ends every process and removes the temp dirs', async () => {
    const pids = [...control.pids, ...target.pids];
    const dirs = [control.dir, target.dir];
    assert.ok(pids.every(pidExists), 'all four processes run before stop()');
    await Promise.all([control.stop(), target.stop()]);
    // The child 'exit' event has fired by now, but give the kernel a moment to reap.
    await waitFor(() => !pids.some(pidExists), { timeoutMs: 5_000, what: 'pids to vanish' });
    for (const dir of dirs) assert.ok(!existsSync(dir), `${dir} is removed`);
    await control.stop(); // idempotent
  });
});
