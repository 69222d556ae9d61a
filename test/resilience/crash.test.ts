// Crash safety on the real stack: the machine-controller is SIGKILLed at seeded random points while
// a MachineDeployment scales up and down, then started again; the driver plugin alone is SIGKILLed
// mid-create. After each fault the system must converge to one ACTIVE server per Machine, with no
// server created twice for a Machine, none left behind, and no Machine stuck.
//
// Orphan collection is pushed out (30 min) so a leak cannot be hidden by MCM's safety controller:
// convergence has to come from the driver's own create/delete flow.
//
// RESILIENCE_SEED=<n> repeats the kill points; RESILIENCE_HEAVY=1 runs 24 kill points instead of 4.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { machineDeployment } from '../../stack/mcm-objects.ts';
import { waitFor } from '../../stack/processes.ts';
import { childPids, isAlive, type Stack, startStack } from '../../stack/stack.ts';
import { machines, phaseOf, scale } from '../e2e/helpers.ts';
import {
  assertNoSecretLeaks,
  converge,
  HEAVY,
  prng,
  type ServerWatcher,
  suiteSeed,
  watchServers,
} from './helpers.ts';

const SEED = suiteSeed();
const CYCLES = HEAVY ? 12 : 2; // each cycle: one kill during create, one during delete
const REPLICAS = HEAVY ? 3 : 2;

type Trigger = { kind: string; arg: number; extraMs: number };

const CREATE_TRIGGERS = ['delay', 'nth-create-call', 'first-active', 'first-pending'] as const;
const DELETE_TRIGGERS = ['delay', 'nth-delete-call', 'first-terminating', 'first-deleting'] as const;

describe('resilience: crash safety', { timeout: HEAVY ? 3_600_000 : 900_000 }, () => {
  let stack: Stack;
  let watcher: ServerWatcher;
  const rng = prng(SEED);
  const log: string[] = [];

  before(async () => {
    console.log(`resilience crash seed: RESILIENCE_SEED=${SEED} (heavy=${HEAVY})`);
    stack = await startStack({
      namespace: 'shoot--resilience--crash',
      bootDelayMs: 1_500,
      deleteDelayMs: 800,
      joinDelayMs: 500,
      randomSeed: SEED,
      machineControllerArgs: ['--machine-safety-orphan-vms-period=30m'],
    });
    watcher = watchServers(stack);
    await stack.createClass('class-crash');
    await stack.objects.create(
      'machinedeployments',
      machineDeployment('crash', stack.namespace, 'class-crash', 0),
    );
  });
  after(async () => {
    watcher?.stop();
    if (log.length) console.log(`kill points (seed ${SEED}):\n  ${log.join('\n  ')}`);
    await stack?.stop();
  });

  const calls = (op: string) => stack.sim.counters().byOperationAndStatus[op]?.['201'] ?? 0;
  const accepted = (op: string) => {
    const c = stack.sim.counters().byOperationAndStatus[op] ?? {};
    return (c['201'] ?? 0) + (c['204'] ?? 0);
  };

  async function waitTrigger(t: Trigger, base: { creates: number; deletes: number }) {
    const what = `kill trigger ${t.kind}(${t.arg})`;
    const opts = { timeoutMs: 120_000, intervalMs: 50, what };
    switch (t.kind) {
      case 'delay':
        await sleep(t.arg);
        break;
      case 'nth-create-call':
        await waitFor(() => calls('CreateServer') - base.creates >= t.arg, opts);
        break;
      case 'first-active':
        await waitFor(() => stack.sim.servers().some((s) => s.status === 'ACTIVE'), opts);
        break;
      case 'first-pending':
        await waitFor(
          async () => (await machines(stack)).some((m) => ['Pending', 'Running'].includes(phaseOf(m))),
          opts,
        );
        break;
      case 'nth-delete-call':
        await waitFor(() => accepted('DeleteServer') - base.deletes >= t.arg, opts);
        break;
      case 'first-terminating':
        await waitFor(async () => (await machines(stack)).some((m) => phaseOf(m) === 'Terminating'), opts);
        break;
      case 'first-deleting':
        await waitFor(() => stack.sim.servers().some((s) => s.status === 'DELETING'), opts);
        break;
    }
    await sleep(t.extraMs);
  }

  function pickTrigger(kinds: readonly string[]): Trigger {
    const kind = rng.pick(kinds);
    const arg = kind === 'delay' ? rng.int(0, 6_000) : rng.int(1, REPLICAS);
    return { kind, arg, extraMs: rng.int(0, 1_000) };
  }

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    test(`cycle ${cycle}: SIGKILL during scale-up to ${REPLICAS} and during scale-down to 0`, async () => {
      // --- create ---
      const tc = pickTrigger(CREATE_TRIGGERS);
      const base = { creates: calls('CreateServer'), deletes: accepted('DeleteServer') };
      await scale(stack, 'crash', REPLICAS);
      await waitTrigger(tc, base);
      const stateAtKill = stack.sim
        .servers()
        .map((s) => s.status)
        .join(',');
      await stack.killMachineController();
      log.push(
        `cycle ${cycle} create: ${tc.kind}(${tc.arg})+${tc.extraMs}ms, servers at kill: [${stateAtKill}]`,
      );
      await converge(stack, REPLICAS);
      assert.deepEqual(watcher.duplicates(), [], 'no Machine ever had two servers');

      // --- delete ---
      const td = pickTrigger(DELETE_TRIGGERS);
      const base2 = { creates: calls('CreateServer'), deletes: accepted('DeleteServer') };
      await scale(stack, 'crash', 0);
      await waitTrigger(td, base2);
      const stateAtKill2 = stack.sim
        .servers()
        .map((s) => s.status)
        .join(',');
      await stack.killMachineController();
      log.push(
        `cycle ${cycle} delete: ${td.kind}(${td.arg})+${td.extraMs}ms, servers at kill: [${stateAtKill2}]`,
      );
      await converge(stack, 0);
      assert.deepEqual(watcher.duplicates(), [], 'no Machine ever had two servers');
    });
  }

  test('SIGKILL of the driver plugin alone mid-create: the bridge starts a new one, no duplicate', async () => {
    const mc = stack.machineController;
    const [plugin] = childPids(mc.pid);
    assert.ok(plugin !== undefined && isAlive(plugin), 'the plugin runs as the machine-controller child');
    const creates = calls('CreateServer');
    await scale(stack, 'crash', REPLICAS);
    await waitFor(() => calls('CreateServer') > creates, { timeoutMs: 120_000, what: 'first CreateServer' });
    process.kill(plugin, 'SIGKILL');
    await waitFor(
      () => {
        const now = childPids(mc.pid);
        return now.length > 0 && !now.includes(plugin);
      },
      { timeoutMs: 120_000, what: 'a new plugin process', process: mc },
    );
    assert.ok(mc.isRunning(), 'the machine-controller itself survives a plugin crash');
    await converge(stack, REPLICAS);
    assert.deepEqual(watcher.duplicates(), []);
    await scale(stack, 'crash', 0);
    await converge(stack, 0);
    assert.equal(stack.machineController.pid, mc.pid, 'no machine-controller restart was needed');
    assert.deepEqual(watcher.duplicates(), []);
    assert.equal(
      watcher.serverCount(),
      calls('CreateServer'),
      'every CreateServer is accounted for by exactly one server the watcher saw',
    );
  });

  test('no secret in the logs of killed and restarted processes, Events, Machine objects or /metrics', async () => {
    await assertNoSecretLeaks(stack);
  });
});
