// End to end: Gardener's machine-controller-manager + our machine-controller (MCM's Go controller
// with the TypeScript STACKIT driver) + the simulator + a real kube-apiserver.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { machineDeployment } from '../harness/mcm-objects.ts';
import { type Stack, startStack } from '../harness/stack.ts';
import {
  assertServersMatchMachines,
  liveServers,
  machines,
  phaseOf,
  scale,
  waitNoMachinesNoServers,
  waitRunning,
} from './helpers.ts';

describe('e2e: MachineDeployment on the simulator', { timeout: 600_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ bootDelayMs: 2_000, joinDelayMs: 1_000 });
  });
  after(async () => {
    await stack?.stop();
  });

  test('3 replicas reach Running with one server each, then scale to 0 leaves no server', async () => {
    await stack.createClass('class-a');
    await stack.objects.create(
      'machinedeployments',
      machineDeployment('workers', stack.namespace, 'class-a', 3),
    );
    const running = await waitRunning(stack, 3);
    assert.deepEqual(await assertServersMatchMachines(stack), []);
    for (const m of running) {
      assert.match(m.spec.providerID, /^stackit:\/\/[0-9a-f-]{36}\/[0-9a-f-]{36}$/);
      const server = liveServers(stack).find((s) => m.spec.providerID.endsWith(s.id));
      assert.equal(server?.status, 'ACTIVE');
      assert.equal(server?.labels?.['kubernetes.io/cluster'], stack.namespace);
      assert.equal(m.metadata.labels?.node, server?.name, 'Machine carries label node=<server name>');
    }
    await scale(stack, 'workers', 0);
    await waitNoMachinesNoServers(stack);
    assert.deepEqual(
      (await machines(stack)).map((m) => `${m.metadata.name}=${phaseOf(m)}`),
      [],
    );
  });
});
