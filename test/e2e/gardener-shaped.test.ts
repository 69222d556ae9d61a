// End to end with what Gardener hands us: the infrastructure the STACKIT extension creates through the
// IaaS API before any Machine exists (an SSH keypair, the shoot's network, the nodes' security group,
// all made here through the simulator's API, not seeded), its `cloudprovider` Secret in the Go
// provider's key names, a class Secret holding only userData, and the MachineClass exactly as
// samples/machine-class-gardener.yaml renders it (nulls, allowedAddresses in Go's %v list form) with
// the created IDs filled in and a volume size set. A MachineDeployment of it reaches Running.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../../stack/binaries.ts';
import {
  createGardenerInfrastructure,
  type GardenerInfrastructure,
} from '../../stack/gardener-infrastructure.ts';
import type { McmObject } from '../../stack/mcm-objects.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import { deployment, liveServers, phaseOf, scale, waitMachines, waitNoMachinesNoServers } from './helpers.ts';

const NAMESPACE = 'shoot--myproject--mycluster';

describe('e2e: a Gardener-rendered MachineClass on infrastructure created through the IaaS API', {
  timeout: 300_000,
}, () => {
  let stack: Stack;
  let created: GardenerInfrastructure;

  before(async () => {
    stack = await startStack({ namespace: NAMESPACE, withMcm: true, bootDelayMs: 2_000 });
    const d = stack.sim.defaults;
    created = await createGardenerInfrastructure(stack.sim, stack.key.credentials.kid, NAMESPACE);

    await stack.core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'cloudprovider', namespace: NAMESPACE },
        stringData: { 'project-id': d.projectId, 'serviceaccount.json': JSON.stringify(stack.key) },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test('the sample class with created IDs and a volume size: 2 Machines Running, then 0', async () => {
    const d = stack.sim.defaults;
    const cls = parse(
      readFileSync(join(repoRoot, 'samples/machine-class-gardener.yaml'), 'utf8'),
    ) as McmObject;
    const secretName = cls.secretRef.name as string;
    await stack.core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: { name: secretName, namespace: NAMESPACE },
        stringData: { userData: '#cloud-config\n# <<BOOTSTRAP_TOKEN>> <<MACHINE_NAME>>\n' },
      },
    });
    const spec = cls.providerSpec as {
      bootVolume: { size: number | null; performanceClass: string | null; source: { id: string } };
      allowedAddresses: string[];
      keypairName: string;
      networking: { networkId: string };
      securityGroups: string[];
      machineType: string;
    };
    assert.equal(spec.bootVolume.performanceClass, null, "the sample keeps Gardener's nulls");
    assert.deepEqual(spec.allowedAddresses, ['100.96.0.0/11 100.64.0.0/12']);
    spec.keypairName = created.keypair;
    spec.networking.networkId = created.networkId;
    spec.securityGroups = [created.securityGroupId];
    spec.bootVolume.source.id = d.imageId;
    spec.bootVolume.size = 50; // a pool with a volume size; without one the API refuses (docs)
    spec.machineType = d.machineType;
    await stack.objects.create('machineclasses', cls);

    const name = cls.metadata.name as string;
    await stack.objects.create('machinedeployments', deployment(stack, 'worker-z1', name, 0));
    await scale(stack, 'worker-z1', 2);
    const running = await waitMachines(
      stack,
      '2 Running machines',
      (ms) => ms.length === 2 && ms.every((m) => phaseOf(m) === 'Running'),
    );
    const servers = liveServers(stack);
    assert.equal(servers.length, 2);
    for (const s of servers) {
      assert.equal(s.keypairName, created.keypair);
      assert.equal(s.labels?.['kubernetes.io/cluster'], NAMESPACE);
      assert.equal(s.availabilityZone, 'eu01-1');
    }
    const nics = servers.flatMap((s) => s.nics ?? []);
    assert.ok(
      nics.length >= 2 &&
        nics.every(
          (n) => n.networkId === created.networkId && n.securityGroups?.includes(created.securityGroupId),
        ),
      JSON.stringify(nics),
    );
    assert.equal(new Set(running.map((m) => m.spec.providerID)).size, 2);

    await scale(stack, 'worker-z1', 0);
    await waitNoMachinesNoServers(stack);
  });
});
