import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ControlPlane, startControlPlane } from '../../stack/control-plane.ts';
import { type MachineControllerManager, startMachineControllerManager } from '../../stack/mcm.ts';
import { createNamespace, machineClass, machineDeployment, mcmClient } from '../../stack/mcm-objects.ts';
import { pidExists, waitFor } from '../../stack/processes.ts';

describe("Gardener's machine-controller-manager on the local control plane", () => {
  let control: ControlPlane;
  let target: ControlPlane;
  let mcm: MachineControllerManager | undefined;
  const ns = 'shoot--test--mcm';

  before(async () => {
    [control, target] = await Promise.all([
      startControlPlane({ name: 'control' }),
      startControlPlane({ name: 'target', installMcmCrds: false }),
    ]);
    await createNamespace(control.kubeConfig, ns);
  });

  after(async () => {
    await mcm?.stop();
    await Promise.all([control?.stop(), target?.stop()]);
  });

  test('turns a MachineDeployment with 3 replicas into a MachineSet and 3 Machines', async () => {
    mcm = await startMachineControllerManager(control, {
      namespace: ns,
      targetKubeconfig: target.kubeconfigPath,
    });
    const api = mcmClient(control.kubeConfig, ns);
    await api.create('machineclasses', machineClass('small', ns));
    await api.create('machinedeployments', machineDeployment('workers', ns, 'small', 3));

    await waitFor(async () => (await api.list('machines')).length === 3, {
      timeoutMs: 60_000,
      what: '3 Machines',
      process: mcm.process,
    });
    const sets = await api.list('machinesets');
    assert.equal(sets.length, 1, 'one MachineSet');
    const [set] = sets;
    assert.equal(set?.spec.replicas, 3);
    assert.equal(set?.metadata.ownerReferences?.[0]?.kind, 'MachineDeployment');
    assert.equal(set?.metadata.ownerReferences?.[0]?.name, 'workers');

    const machines = await api.list('machines');
    for (const m of machines) {
      assert.match(m.metadata.name, /^workers-/);
      assert.equal(m.metadata.ownerReferences?.[0]?.name, set?.metadata.name);
      assert.deepEqual(m.spec.class, { kind: 'MachineClass', name: 'small' });
      // No provider controller runs: nobody has created a VM for them.
      assert.equal(m.spec.providerID, undefined);
    }
    // The set does not overshoot while the machines stay unprovisioned.
    assert.equal((await api.list('machines')).length, 3);
  });

  test('stop() ends the machine-controller-manager process', async () => {
    assert.ok(mcm, 'started by the previous test');
    const pid = mcm.process.pid;
    assert.ok(pidExists(pid));
    await mcm.stop();
    await waitFor(() => !pidExists(pid), { timeoutMs: 5_000, what: 'MCM pid to vanish' });
    assert.equal(mcm.process.isRunning(), false);
  });
});
