// The check reading its MachineClass and Secrets from a cluster (--kubeconfig): MCM's merge of
// secretRef and credentialsSecretRef, and a missing Secret named as such.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from '../../stack/control-plane.ts';
import { createNamespace, mcmClient } from '../../stack/mcm-objects.ts';
import { type CheckEnv, runCheck, secretData, startCheckEnv, validSpec } from './helpers.ts';

const ns = 'shoot--p--check';

describe('check --kubeconfig', () => {
  let env: CheckEnv;
  let cp: ControlPlane;

  before(async () => {
    [env, cp] = await Promise.all([startCheckEnv(), startControlPlane({ name: 'check' })]);
    await createNamespace(cp.kubeConfig, ns);
    const core = cp.kubeConfig.makeApiClient(CoreV1Api);
    const { userData, ...credentials } = secretData(env);
    // Gardener's shape: the class's own Secret holds userData, the cloudprovider Secret the credentials.
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'workers-userdata' }, stringData: { userData: userData! } },
    });
    await core.createNamespacedSecret({
      namespace: ns,
      body: {
        metadata: { name: 'cloudprovider' },
        stringData: {
          'project-id': credentials.projectId!,
          'serviceaccount.json': credentials.serviceAccountKey!,
          region: 'eu01',
        },
      },
    });
    const mcm = mcmClient(cp.kubeConfig, ns);
    const cls = (
      name: string,
      providerSpec: Record<string, unknown>,
      credentialsSecret = 'cloudprovider',
    ) => ({
      apiVersion: 'machine.sapcloud.io/v1alpha1',
      kind: 'MachineClass',
      metadata: { name, namespace: ns },
      provider: 'STACKIT',
      secretRef: { name: 'workers-userdata', namespace: ns },
      credentialsSecretRef: { name: credentialsSecret, namespace: ns },
      providerSpec,
    });
    await mcm.create('machineclasses', cls('valid', validSpec(env)));
    await mcm.create('machineclasses', cls('dangling', { ...validSpec(env), keypairName: 'gone' }));
    await mcm.create('machineclasses', cls('no-secret', validSpec(env), 'cloudprovider-missing'));
  });
  after(async () => {
    await Promise.all([env?.close(), cp?.stop()]);
  });

  const args = (...more: string[]) => ['check', '--kubeconfig', cp.kubeconfigPath, '-n', ns, ...more];

  test('a valid class, its two Secrets merged as MCM merges them: exit 0', async () => {
    const r = await runCheck(env, args('--name', 'valid'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`MachineClass ${ns}/valid \\(cluster `));
    assert.match(r.stdout, /checked offline and online/);
  });

  test('a dangling keypair: exit 1 with the field path', async () => {
    const r = await runCheck(env, args('--name', 'dangling'));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /ERROR {3}providerSpec\.keypairName: keypair "gone" not found/);
  });

  test('a Secret that does not exist is named: exit 2', async () => {
    const r = await runCheck(env, args('--name', 'no-secret'));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      new RegExp(
        `ERROR {3}secret: Secret ${ns}/cloudprovider-missing \\(referenced by MachineClass ${ns}/no-secret\\): not found`,
      ),
    );
  });

  test('without --name: every class in the namespace, each with its own findings', async () => {
    const r = await runCheck(env, args());
    assert.equal(r.code, 2, r.stdout + r.stderr);
    for (const name of ['valid', 'dangling', 'no-secret'])
      assert.match(r.stdout, new RegExp(`MachineClass ${ns}/${name} `));
    assert.match(r.stdout, /3 MachineClasses checked: 2 problems/);
  });

  test('a class that does not exist: exit 2', async () => {
    const r = await runCheck(env, args('--name', 'nope'));
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`MachineClass ${ns}/nope: not found`));
  });
});
