// End to end, what an operator sees with kubectl describe: a MachineClass with an unknown field gets
// one ProviderSpecWarning Event, however often MCM calls the driver; a Machine whose create fails
// gets one Warning Event naming the MCM code, not one per retry; a Machine that gets its server a
// Normal one. And the retrigger docs/operations.md gives after fixing a Secret (touch the
// MachineClass) works at once instead of after MCM's 3-minute backoff. One stack, bare Machines
// (no MachineDeployment), the three scenarios side by side.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CoreV1Event, CustomObjectsApi } from '@kubernetes/client-node';
import { MCM_GROUP, MCM_VERSION, type McmObject, machine } from '../../stack/mcm-objects.ts';
import { waitFor } from '../../stack/processes.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import { lastOp, patchFaults, waitMachines } from './helpers.ts';

const BROKEN_SECRET = 'broken-credentials';

describe('e2e: Events on MachineClasses and Machines', { timeout: 300_000 }, () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      namespace: 'shoot--e2e--events',
      withMcm: false,
      bootDelayMs: 2_000,
      // MCM waits 10 minutes after ResourceExhausted by default; the dedupe needs a few retries.
      machineControllerArgs: ['--resource-exhausted-retry=2s'],
    });
    await stack.createClass('good-class');
    await stack.createClass(
      'warn-class',
      stack.providerSpec({ securityGroup: ['b8a4d1b4-8c0f-4c5b-9c1e-2f4b8e1e2a11'] }),
    );
    // A class whose Secret lacks the credentials (userData is there: without it MCM itself waits).
    const d = stack.sim.defaults;
    await stack.core.createNamespacedSecret({
      namespace: stack.namespace,
      body: {
        metadata: { name: BROKEN_SECRET, namespace: stack.namespace },
        stringData: { projectId: d.projectId, userData: '#cloud-config\n' },
      },
    });
    await stack.objects.create('machineclasses', {
      apiVersion: `${MCM_GROUP}/${MCM_VERSION}`,
      kind: 'MachineClass',
      metadata: { name: 'secret-class', namespace: stack.namespace },
      provider: 'stackit',
      providerSpec: stack.providerSpec(),
      secretRef: { name: BROKEN_SECRET, namespace: stack.namespace },
      credentialsSecretRef: { name: BROKEN_SECRET, namespace: stack.namespace },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  /** Events about one object of this namespace, as `kubectl describe` lists them. */
  const eventsOf = async (kind: string, name: string): Promise<CoreV1Event[]> =>
    (
      await stack.core.listNamespacedEvent({
        namespace: stack.namespace,
        fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}`,
      })
    ).items;

  const waitEvent = async (kind: string, name: string, reason: string): Promise<CoreV1Event> => {
    let found: CoreV1Event | undefined;
    await waitFor(
      async () => {
        found = (await eventsOf(kind, name)).find((e) => e.reason === reason);
        return found !== undefined;
      },
      { timeoutMs: 60_000, what: `a ${reason} Event on ${kind} ${name}`, process: stack.machineController },
    );
    return found!;
  };

  describe('side by side', { concurrency: true }, () => {
    test('an unknown providerSpec field: one ProviderSpecWarning on the MachineClass, and the Machine still gets its server', async () => {
      await stack.objects.create('machines', machine('warn-1', stack.namespace, 'warn-class'));
      const created = await waitEvent('Machine', 'warn-1', 'ServerCreated');
      assert.equal(created.type, 'Normal');
      assert.match(created.message ?? '', /stackit:\/\/[^ ]+ \(node name warn-1\)/);
      // Booting takes several MCM passes (GetMachineStatus + InitializeMachine every 5 s): each
      // parses the class and reports the warning again; the bridge posts it once.
      await waitMachines(stack, 'warn-1 Pending or Running', (ms) =>
        ms.some(
          (m) =>
            m.metadata.name === 'warn-1' && ['Pending', 'Running'].includes(m.status?.currentStatus?.phase),
        ),
      );
      const warnings = (await eventsOf('MachineClass', 'warn-class')).filter(
        (e) => e.reason === 'ProviderSpecWarning' && /securityGroup\b/.test(e.message ?? ''),
      );
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      const w = warnings[0]!;
      assert.equal(w.type, 'Warning');
      assert.equal(w.count ?? 1, 1, 'posted once, not aggregated from repeats');
      assert.equal(w.source?.component, 'stackit-driver');
      assert.match(
        w.message ?? '',
        /providerSpec\.securityGroup: unknown field, ignored; did you mean securityGroups\?/,
      );
      assert.equal(w.involvedObject.apiVersion, `${MCM_GROUP}/${MCM_VERSION}`);
      // The class without unknown fields gets none.
      assert.deepEqual(await eventsOf('MachineClass', 'good-class'), []);
    });

    test('a quota error: one ResourceExhausted Warning on the Machine across MCM retries', async (t) => {
      patchFaults(stack, { quotaExceeded: { namePattern: '^quota-', resource: 'vCPU' } });
      try {
        await stack.objects.create('machines', machine('quota-1', stack.namespace, 'good-class'));
        const e = await waitEvent('Machine', 'quota-1', 'ResourceExhausted');
        assert.equal(e.type, 'Warning');
        assert.match(e.message ?? '', /^CreateMachine: .*vCPU quota/);
        // MCM retries every 2 s here (--resource-exhausted-retry): wait for two more attempts.
        await waitFor(() => (stack.sim.counters().faults.quotaExceeded ?? 0) >= 3, {
          timeoutMs: 60_000,
          what: 'three CreateMachine attempts beyond the quota',
          process: stack.machineController,
        });
        // Events are written asynchronously: give a non-deduplicated repeat the time to show up.
        await new Promise((r) => setTimeout(r, 1_000));
        t.diagnostic(`${stack.sim.counters().faults.quotaExceeded} CreateMachine attempts beyond the quota`);
        const all = (await eventsOf('Machine', 'quota-1')).filter((x) => x.type === 'Warning');
        assert.equal(all.length, 1, JSON.stringify(all));
        assert.equal(all[0]!.count ?? 1, 1, 'one Event, not one per retry');
      } finally {
        patchFaults(stack, { quotaExceeded: undefined });
      }
    });

    test('a broken Secret: InvalidArgument Warning on the Machine; after the fix, touching the MachineClass retries at once', async (t) => {
      await stack.objects.create('machines', machine('secret-1', stack.namespace, 'secret-class'));
      const e = await waitEvent('Machine', 'secret-1', 'InvalidArgument');
      assert.equal(e.type, 'Warning');
      assert.match(e.message ?? '', /^(GetMachineStatus|CreateMachine): .*serviceAccountKey/);
      const [m] = (await stack.objects.list('machines')).filter((x) => x.metadata.name === 'secret-1');
      assert.equal(lastOp(m!).errorCode, 'InvalidArgument', 'MCM backs off 3 min for it');

      // Fix the Secret: MCM does not watch Secret data, so the Machine would wait out its 3 min.
      const good = await stack.core.readNamespacedSecret({
        name: 'stackit-credentials',
        namespace: stack.namespace,
      });
      await stack.core.replaceNamespacedSecret({
        name: BROKEN_SECRET,
        namespace: stack.namespace,
        body: { metadata: { name: BROKEN_SECRET, namespace: stack.namespace }, data: good.data },
      });
      // The documented retrigger: any change to the MachineClass requeues its Machines at once.
      const t0 = Date.now();
      await annotateClass(stack, 'secret-class', { 'example.com/retrigger': String(t0) });
      await waitEvent('Machine', 'secret-1', 'ServerCreated');
      const took = Date.now() - t0;
      t.diagnostic(`server created ${took} ms after the MachineClass was annotated`);
      assert.ok(took < 30_000, `took ${took} ms: the annotation did not requeue the Machine`);
    });
  });
});

/** Read-modify-write of a MachineClass's annotations (what `kubectl annotate machineclass` does). */
async function annotateClass(stack: Stack, name: string, annotations: Record<string, string>): Promise<void> {
  const api = stack.cp.kubeConfig.makeApiClient(CustomObjectsApi);
  const base = {
    group: MCM_GROUP,
    version: MCM_VERSION,
    namespace: stack.namespace,
    plural: 'machineclasses',
  };
  for (let i = 0; ; i++) {
    const mc = (await api.getNamespacedCustomObject({ ...base, name })) as McmObject;
    mc.metadata.annotations = { ...mc.metadata.annotations, ...annotations };
    try {
      await api.replaceNamespacedCustomObject({ ...base, name, body: mc });
      return;
    } catch (e) {
      if (i > 5) throw e;
    }
  }
}
