// Switching from the existing Go provider: its servers (same labels, same ProviderID format, no
// namespace label) are recognised, adopted and deleted, with no duplicate and no orphan.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createServerDirectly,
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

describe('drop-in for the Go provider', () => {
  let env: Env;
  before(async () => {
    env = await startEnv();
  });
  after(() => env.close());

  test('a server the Go provider created is adopted, listed and deleted; no second server', async () => {
    const d = env.sim.defaults;
    // What the Go provider sends: machine + class labels, name = Machine name, its Secret keys.
    const legacyId = await createServerDirectly(env, 'legacy-1', {
      'kubernetes.io/machine': 'legacy-1',
      'kubernetes.io/machineclass': 'class-a',
    });
    const providerId = `stackit://${d.projectId}/${legacyId}`;
    // The Go provider's Secret keys.
    const secret = secretFor(env);
    const gardenerSecret = {
      'project-id': secret.projectId!,
      'serviceaccount.json': secret.serviceAccountKey!,
      region: secret.region!,
      networkId: secret.networkId!,
      userData: secret.userData!,
    };
    const req = withProviderId(
      request(env, 'legacy-1', minimalSpec(env), { secret: gardenerSecret }),
      providerId,
    );
    await new Promise((r) => setTimeout(r, 300));
    const st = await env.driver.getMachineStatus(req, ctx());
    assert.equal(st.providerId, providerId, 'same ProviderID format, byte for byte');
    const list = await env.driver.listMachines({ machineClass: req.machineClass, secret: req.secret }, ctx());
    assert.deepEqual(list.machineList, { [providerId]: 'legacy-1' }, 'adopted: now listed');
    const again = await mcmCreate(env, req);
    assert.equal(again.providerId, providerId);
    assert.equal(env.sim.servers().filter((s) => s.name === 'legacy-1').length, 1, 'no duplicate');
    await mcmDelete(env, req);
    assert.equal(env.sim.servers().filter((s) => s.name === 'legacy-1').length, 0);
  });
});
