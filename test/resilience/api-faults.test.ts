// STACKIT API faults on the real stack: each scenario scales a MachineDeployment up and back to 0
// while the simulator injects one kind of fault, and must end with one ACTIVE server per Machine,
// no server ever created twice for a Machine, and nothing left behind. Load is compared with a
// no-fault baseline in the same stack: API calls per minute under faults stay within a small
// factor of the baseline (backoff, not hammering). At the end every log, Event, Machine object and
// /metrics is scanned for the service-account key, access tokens and user data.
//
// RESILIENCE_SEED=<n> repeats the fault decisions; RESILIENCE_HEAVY=1 uses 10 s latency spikes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Counters, FaultProfile } from '../../src/simulator/index.ts';
import { machineDeployment } from '../../stack/mcm-objects.ts';
import { mergePatch } from '../../stack/merge-patch.ts';
import { freePort, waitFor } from '../../stack/processes.ts';
import { childPids, type Stack, startStack } from '../../stack/stack.ts';
import { machines, phaseOf, scale } from '../e2e/helpers.ts';
import {
  assertNoSecretLeaks,
  converge,
  HEAVY,
  HEAVY_SKIP,
  type ServerWatcher,
  suiteSeed,
  watchServers,
} from './helpers.ts';

const SEED = suiteSeed();
const REPLICAS = 2;
const MD = 'api';
/** Calls per minute under faults may be at most this many times the baseline's. */
const MAX_LOAD_FACTOR = 3;

interface Load {
  calls: number;
  minutes: number;
  perMinute: number;
  byStatus: Record<string, number>;
  /** Injected faults by kind (the simulator's counters). */
  faults: Record<string, number>;
}

function delta(a: Counters, b: Counters) {
  // The simulator's counters start at zero again after a restart.
  if (b.total < a.total) a = { ...a, total: 0, byStatus: {} };
  const byStatus: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.byStatus)) byStatus[k] = v - (a.byStatus[k] ?? 0);
  const faults: Record<string, number> = {};
  for (const [k, v] of Object.entries(b.faults)) faults[k] = v - (b.total < a.total ? 0 : (a.faults[k] ?? 0));
  return { calls: b.total - a.total, byStatus, faults };
}

describe('resilience: STACKIT API faults', { timeout: 1_200_000 }, () => {
  let stack: Stack;
  let watcher: ServerWatcher;
  let stateDir: string;
  let baseline: Load | undefined;
  const userData = `#cloud-config\n# resilience-user-data-${SEED}-${Math.random().toString(36).slice(2)}\nbootstrap: <<BOOTSTRAP_TOKEN>>\n`;
  const loads: string[] = [];

  before(async () => {
    console.log(`resilience api-faults seed: RESILIENCE_SEED=${SEED} (heavy=${HEAVY})`);
    stateDir = mkdtempSync(join(tmpdir(), 'resilience-sim-'));
    stack = await startStack({
      namespace: 'shoot--resilience--api',
      bootDelayMs: 1_500,
      deleteDelayMs: 800,
      joinDelayMs: 500,
      randomSeed: SEED,
      simulatorPort: await freePort(),
      simulatorStateFile: join(stateDir, 'simulator.json'),
      machineControllerArgs: ['--machine-safety-orphan-vms-period=30m'],
    });
    watcher = watchServers(stack);
    await stack.createClass('class-api');
    // A user-data marker of our own, to look for later. A merge patch, not read-modify-replace:
    // MCM adds its finalizer to the Secret at about this time, and a replace would conflict.
    await stack.core.patchNamespacedSecret(
      {
        name: 'stackit-credentials',
        namespace: stack.namespace,
        body: { data: { userData: Buffer.from(userData).toString('base64') } },
      },
      mergePatch,
    );
    await stack.objects.create('machinedeployments', machineDeployment(MD, stack.namespace, 'class-api', 0));
  });
  after(async () => {
    watcher?.stop();
    if (loads.length) console.log(`API load per scenario (seed ${SEED}):\n  ${loads.join('\n  ')}`);
    await stack?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  /** Scale up to REPLICAS and back to 0 under `faults`; returns the load it caused. */
  async function cycle(name: string, faults: FaultProfile, during?: () => Promise<void>): Promise<Load> {
    stack.sim.setFaults(faults);
    const c0 = stack.sim.counters();
    const t0 = performance.now();
    await scale(stack, MD, REPLICAS);
    if (during) await during();
    await converge(stack, REPLICAS, 300_000);
    assert.deepEqual(watcher.duplicates(), [], 'no Machine ever had two servers');
    await scale(stack, MD, 0);
    await converge(stack, 0, 300_000);
    const minutes = (performance.now() - t0) / 60_000;
    const d = delta(c0, stack.sim.counters());
    stack.sim.setFaults({});
    assert.deepEqual(watcher.duplicates(), [], 'no Machine ever had two servers');
    const load = { ...d, minutes, perMinute: d.calls / minutes };
    loads.push(
      `${name}: ${d.calls} calls in ${minutes.toFixed(2)} min = ${load.perMinute.toFixed(0)}/min, by status ${JSON.stringify(d.byStatus)}`,
    );
    return load;
  }

  function assertBackoff(load: Load) {
    assert.ok(baseline, 'baseline ran first');
    assert.ok(
      load.perMinute <= MAX_LOAD_FACTOR * baseline.perMinute,
      `${load.perMinute.toFixed(0)} calls/min under faults vs ${baseline.perMinute.toFixed(0)}/min without: hammering`,
    );
  }

  test('baseline without faults', async () => {
    baseline = await cycle('baseline', {});
    assert.equal(baseline.byStatus['500'] ?? 0, 0);
  });

  test('30% 5xx everywhere (CreateServer failing after commit), malformed answers, 2 s spikes: converges', async () => {
    const plugins = childPids(stack.machineController.pid);
    const load = await cycle('5xx+malformed', {
      operations: {
        // 30 %: a healthy cycle makes only about 15 calls (no create is retried while a server
        // boots), and the test must see injected errors or malformed answers in every run.
        '*': {
          errorRate: 0.3,
          errorStatus: 503,
          latency: [{ ms: [5, 50] }, { ms: 2_000, probability: 0.2 }],
        },
        CreateServer: {
          errorRate: 0.2,
          errorStatus: 500,
          errorAfterCommit: true,
          malformedRate: 0.2,
          malformedKind: 'unknown-status',
        },
        ListServers: { malformedRate: 0.2, malformedKind: 'invalid-json' },
        GetServer: { malformedRate: 0.2, malformedKind: 'missing-required' },
        Token: { errorRate: 0.2, errorStatus: 502 },
      },
    });
    assert.ok(
      (load.faults.error ?? 0) + (load.faults.malformed ?? 0) > 0,
      `errors or malformed answers were injected: ${JSON.stringify(load.faults)}`,
    );
    assert.deepEqual(childPids(stack.machineController.pid), plugins, 'the same plugin process throughout');
    assertBackoff(load);
  });

  test('429 storm with Retry-After: converges, Retry-After honoured', async () => {
    const load = await cycle('429', {
      operations: { '*': { rateLimitRate: HEAVY ? 0.5 : 0.3, retryAfterSeconds: 2 } },
    });
    assert.ok((load.byStatus['429'] ?? 0) > 0, '429s were sent');
    assertBackoff(load);
  });

  test('latency spikes of 10 s: converges', { skip: HEAVY_SKIP }, async () => {
    const load = await cycle('latency', {
      operations: { '*': { latency: [{ ms: [5, 50] }, { ms: 10_000, probability: 0.2 }] } },
    });
    assertBackoff(load);
  });

  test('malformed answers (bad JSON, missing fields, unknown status): no plugin crash, converges', {
    skip: HEAVY_SKIP,
  }, async () => {
    const plugins = childPids(stack.machineController.pid);
    const load = await cycle('malformed', {
      operations: {
        ListServers: { malformedRate: 0.3, malformedKind: 'invalid-json' },
        GetServer: { malformedRate: 0.3, malformedKind: 'missing-required' },
        CreateServer: { malformedRate: 0.3, malformedKind: 'unknown-status' },
        UpdateNic: { malformedRate: 0.3, malformedKind: 'invalid-json' },
      },
    });
    assert.deepEqual(childPids(stack.machineController.pid), plugins, 'the same plugin process throughout');
    assertBackoff(load);
  });

  test('a server stuck in DELETING keeps its Machine until it is released', async () => {
    await scale(stack, MD, REPLICAS);
    await converge(stack, REPLICAS);
    stack.sim.setFaults({ stuckDeleting: { probability: 1 } });
    await scale(stack, MD, 0);
    await waitFor(() => stack.sim.servers().filter((s) => s.status === 'DELETING').length === REPLICAS, {
      timeoutMs: 120_000,
      what: 'both servers DELETING',
    });
    const c0 = stack.sim.counters();
    // Two of MCM's 5 s delete retries.
    await sleep(10_000);
    const ms = await machines(stack);
    assert.equal(ms.length, REPLICAS, 'no Machine is dropped while its server still exists');
    assert.ok(ms.every((m) => phaseOf(m) === 'Terminating'));
    const calls = stack.sim.counters().total - c0.total;
    assert.ok(calls < 40, `${calls} API calls in 10 s while waiting: polls, not a tight loop`);
    // Released: STACKIT's operators reset the servers; the driver deletes them again.
    stack.sim.setFaults({});
    for (const s of stack.sim.servers()) stack.sim.setServerState(s.id, { status: 'ACTIVE' });
    await converge(stack, 0);
    assert.deepEqual(watcher.duplicates(), []);
  });

  test('the simulator restarted mid-create with its state file: converges, no duplicate', async () => {
    const ids = new Set<string>();
    await cycle('simulator-restart', {}, async () => {
      await waitFor(() => stack.sim.servers().length > 0, { timeoutMs: 120_000, what: 'a server' });
      for (const s of stack.sim.servers()) ids.add(s.id);
      await stack.restartSimulator(3_000);
      for (const id of ids)
        assert.ok(
          stack.sim.servers().some((s) => s.id === id),
          `server ${id} survived`,
        );
    });
  });

  test('no secret in logs, Events, Machine objects or /metrics', async () => {
    await assertNoSecretLeaks(stack, { userData });
  });
});
