// A MachineClass shaped like the one gardener-extension-provider-stackit renders (nulls, allowedAddresses
// in Go's %v form, the cloudprovider Secret's key names), pointing at a keypair, network and security
// group that the test creates through the simulator's IaaS API, as the extension's infrastructure
// step does: the check finds them, and flags the boot volume size Gardener leaves null.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGardenerInfrastructure } from '../../stack/gardener-infrastructure.ts';
import { type CheckEnv, runCheck, startCheckEnv, writeClass } from './helpers.ts';

describe('a Gardener-shaped class against infrastructure created through the IaaS API', () => {
  let env: CheckEnv;
  let created: { keypair: string; networkId: string; securityGroupId: string };
  let secret: Record<string, string>;

  before(async () => {
    env = await startCheckEnv();
    const d = env.sim.defaults;
    const key = JSON.parse(env.keyJson) as { credentials: { kid: string } };
    created = await createGardenerInfrastructure(env.sim, key.credentials.kid, 'shoot--p--gardener');
    // The cloudprovider Secret's key names (the Go provider's vocabulary).
    secret = { 'project-id': d.projectId, 'serviceaccount.json': env.keyJson };
  });
  after(() => env.close());

  const spec = (size: number | null) => ({
    region: 'eu01',
    availabilityZone: 'eu01-1',
    machineType: env.sim.defaults.machineType,
    keypairName: created.keypair,
    networking: { networkId: created.networkId },
    allowedAddresses: ['100.96.0.0/11 100.64.0.0/12'],
    bootVolume: { size, performanceClass: null, source: { id: env.sim.defaults.imageId, type: 'image' } },
    securityGroups: [created.securityGroupId],
    labels: { 'kubernetes.io/cluster': 'shoot--p--gardener' },
  });

  test('with a volume size: every created ID is found, exit 0', async () => {
    const r = await runCheck(env, ['check', '-f', writeClass(env, spec(50), secret)]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /0 problems, 0 warnings; checked offline and online/);
  });

  test('with the null size Gardener renders for a pool without volume size: exit 1 at bootVolume.size', async () => {
    const r = await runCheck(env, ['check', '-f', writeClass(env, spec(null), secret)]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /ERROR {3}providerSpec\.bootVolume\.size: is required when the boot volume is made from an image/,
    );
    assert.equal(r.stdout.match(/ERROR/g)?.length, 1, r.stdout);
  });
});
