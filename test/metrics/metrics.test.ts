// The provider's metrics where a Prometheus scrape of the pod finds them: the machine-controller's
// /metrics (MCM's app.Run, --port). The whole stack on the simulator: MCM's own mcm_cloud_api_*
// series recorded from the STACKIT driver's IaaS requests, the driver's stackit_* counters served
// through the bridge, 429s counted, a plugin outage costing only the plugin's families, and no
// credential or user data anywhere in the text.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { machineDeployment } from '../../stack/mcm-objects.ts';
import { waitFor } from '../../stack/processes.ts';
import { type Stack, startStack } from '../../stack/stack.ts';
import { liveServers, scale, waitRunning } from '../e2e/helpers.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format 0.0.4 -> samples (enough of the format for what Go's expfmt writes). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    assert.ok(m, `unparsable metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    out.push({ name: m[1] as string, labels, value: Number(m[3]) });
  }
  return out;
}

const matches = (s: Sample, name: string, labels: Record<string, string>) =>
  s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/** Sum of every series of `name` carrying `labels` (undefined when there is none). */
function sum(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = samples.filter((s) => matches(s, name, labels));
  return hits.length === 0 ? undefined : hits.reduce((a, s) => a + s.value, 0);
}

/** Direct children of a process: children of every thread (Go starts processes from any thread). */
function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

describe('metrics on the machine-controller /metrics endpoint', { timeout: 600_000 }, () => {
  let stack: Stack;
  /** Every text scraped in this file: all of it is checked for secrets at the end. */
  const scraped: string[] = [];
  const userDataCanary = `metrics-canary-${randomUUID()}`;

  const scrape = async (): Promise<{ status: number; text: string; samples: Sample[] }> => {
    const res = await fetch(`http://127.0.0.1:${stack.machineControllerPort}/metrics`, {
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    scraped.push(text);
    return { status: res.status, text, samples: res.ok ? parse(text) : [] };
  };

  before(async () => {
    stack = await startStack({ bootDelayMs: 2_000, joinDelayMs: 1_000 });
  });
  after(async () => {
    await stack?.stop();
  });

  test('a machine lifecycle shows up as MCM cloud API and driver metrics, and the driver counters', async () => {
    await stack.createClass(
      'class-a',
      stack.providerSpec({ userData: `#cloud-config\n# ${userDataCanary} <<MACHINE_NAME>>\n` }),
    );
    await stack.objects.create(
      'machinedeployments',
      machineDeployment('workers', stack.namespace, 'class-a', 1),
    );
    await waitRunning(stack, 1);

    // Recorded in the Go process when each driver answer arrives, so present once Running.
    const { status, samples, text } = await scrape();
    assert.equal(status, 200);
    const driverLines = text
      .split('\n')
      .filter((l) => l.startsWith('mcm_cloud_api_driver_') && !l.includes('_bucket'))
      .join('\n');
    const stackit = { provider: 'stackit' };
    assert.ok(
      (sum(samples, 'mcm_cloud_api_requests_total', { ...stackit, service: 'CreateServer' }) ?? 0) >= 1,
      'mcm_cloud_api_requests_total{provider="stackit",service="CreateServer"} >= 1',
    );
    assert.ok(
      (sum(samples, 'mcm_cloud_api_requests_total', { ...stackit, service: 'ListServers' }) ?? 0) >= 1,
      'a ListServers series (the label lookup before every create)',
    );
    const buckets = samples.filter((s) =>
      matches(s, 'mcm_cloud_api_api_request_duration_seconds_bucket', {
        ...stackit,
        service: 'CreateServer',
      }),
    );
    assert.ok(buckets.length > 1, 'CreateServer request duration histogram buckets');
    assert.ok(
      buckets.some((b) => b.labels.le === '+Inf' && b.value >= 1),
      'the +Inf bucket counts the CreateServer request',
    );
    // Driver calls, timed in the bridge. CreateMachine succeeds at once (the ProviderID is handed
    // out while the server boots), InitializeMachine succeeds, and a booting server is only ever
    // reported as Uninitialized (17) by GetMachineStatus, never as a failure (docs/architecture.md).
    for (const operation of ['CreateMachine', 'InitializeMachine'])
      assert.ok(
        (sum(samples, 'mcm_cloud_api_driver_request_duration_seconds_count', { ...stackit, operation }) ??
          0) >= 1,
        `mcm_cloud_api_driver_request_duration_seconds for a successful ${operation}:\n${driverLines}`,
      );
    assert.equal(
      sum(samples, 'mcm_cloud_api_driver_requests_failed_total', {
        ...stackit,
        operation: 'CreateMachine',
      }) ?? 0,
      0,
      `no failed CreateMachine on a healthy create:\n${driverLines}`,
    );
    // The driver's own registry, through the bridge.
    assert.ok(
      (sum(samples, 'stackit_iaas_responses_total', { operation: 'CreateServer', code: '201' }) ?? 0) >= 1,
      'stackit_iaas_responses_total{operation="CreateServer",code="201"}',
    );
    assert.equal(sum(samples, 'stackit_driver_plugin_metrics_up'), 1);
    assert.ok((sum(samples, 'stackit_driver_plugin_process_resident_memory_bytes') ?? 0) > 0, 'plugin RSS');
    // Exactly the simulator's view: every request the driver made was answered and counted there.
    const counted = stack.sim.counters().byOperation.CreateServer ?? 0;
    const recorded =
      (sum(samples, 'mcm_cloud_api_requests_total', { ...stackit, service: 'CreateServer' }) ?? 0) +
      (sum(samples, 'mcm_cloud_api_requests_failed_total', { ...stackit, service: 'CreateServer' }) ?? 0);
    assert.equal(
      recorded,
      counted,
      'CreateServer requests in metrics = CreateServer calls the simulator saw',
    );
  });

  test('429 answers from the API grow stackit_iaas_throttled_total and the failed-request count', async () => {
    const before = (await scrape()).samples;
    const throttled0 = sum(before, 'stackit_iaas_throttled_total') ?? 0;
    const failed0 = sum(before, 'mcm_cloud_api_requests_failed_total', { provider: 'stackit' }) ?? 0;
    stack.sim.setFaults({ operations: { '*': { rateLimitRate: 1, retryAfterSeconds: 1 } } });
    try {
      // A second machine: its CreateMachine calls the API and gets only 429s.
      await scale(stack, 'workers', 2);
      let last: Sample[] = [];
      await waitFor(
        async () => {
          last = (await scrape()).samples;
          return (
            (sum(last, 'stackit_iaas_throttled_total') ?? 0) > throttled0 &&
            (sum(last, 'mcm_cloud_api_requests_failed_total', { provider: 'stackit' }) ?? 0) > failed0
          );
        },
        {
          timeoutMs: 120_000,
          intervalMs: 1_000,
          what: 'stackit_iaas_throttled_total and mcm_cloud_api_requests_failed_total to grow under 429s',
          process: stack.machineController,
        },
      );
      assert.ok(
        last.some((s) => s.name === 'stackit_iaas_responses_total' && s.labels.code === '429'),
        'stackit_iaas_responses_total has a code="429" series',
      );
      assert.ok(
        last.some(
          (s) =>
            s.name === 'mcm_cloud_api_driver_requests_failed_total' &&
            s.labels.provider === 'stackit' &&
            s.labels.error_code === '14',
        ),
        'the throttled driver calls failed with Unavailable (14)',
      );
    } finally {
      stack.sim.setFaults({});
    }
  });

  test('while the driver plugin is down a scrape still answers, without the plugin families', async () => {
    const plugin = childPids(stack.machineController.pid).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('plugin'),
    );
    assert.ok(plugin, 'driver plugin process found');
    process.kill(plugin, 'SIGKILL');
    let down: Sample[] | undefined;
    const broken: string[] = [];
    await waitFor(
      async () => {
        const { status, samples } = await scrape();
        if (status !== 200) broken.push(`HTTP ${status}`);
        else if (sum(samples, 'mcm_cloud_api_requests_total') === undefined)
          broken.push("MCM's families missing");
        if (sum(samples, 'stackit_driver_plugin_metrics_up') === 0) down = samples;
        return down !== undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: 'a scrape while the plugin is down' },
    );
    assert.deepEqual(broken, [], 'a scrape never fails because of the plugin');
    assert.equal(sum(down ?? [], 'stackit_iaas_responses_total'), undefined, 'no plugin families while down');
    // The health watcher (or the next driver call) starts a new plugin; its families come back.
    await waitFor(async () => sum((await scrape()).samples, 'stackit_driver_plugin_metrics_up') === 1, {
      timeoutMs: 120_000,
      intervalMs: 1_000,
      what: 'plugin metrics back after the restart',
      process: stack.machineController,
    });
    const { samples } = await scrape();
    assert.ok(
      (sum(samples, 'mcm_misc_scrape_failure_total', { kind: 'DriverPlugin' }) ?? 0) >= 1,
      'the failed plugin scrape is counted',
    );
  });

  test('no service account key, access token or user data anywhere in /metrics', async () => {
    scraped.push((await scrape()).text);
    const all = scraped.join('\n');
    const key = stack.key;
    const needles = new Map<string, string>();
    const pem = key.credentials.privateKey ?? '';
    assert.ok(pem.length > 0, 'the stack key has a private key to look for');
    for (const line of pem.split('\n')) {
      const l = line.trim();
      if (l.length >= 16 && !l.startsWith('-----')) needles.set(l, 'a private key line');
    }
    needles.set(userDataCanary, 'the user data');
    for (const s of liveServers(stack)) {
      if (s.userData) {
        needles.set(s.userData, "a server's user data (base64)");
        needles.set(Buffer.from(s.userData, 'base64').toString('utf8'), "a server's user data");
      }
    }
    // An access token of this key (the driver's own is another JWT of the same shape).
    needles.set(await stack.sim.mintAccessToken(key.credentials.kid), 'an access token');
    for (const [needle, what] of needles) assert.ok(!all.includes(needle), `${what} appears in /metrics`);
    assert.doesNotMatch(
      all,
      /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}/,
      'a JWT (access token or assertion)',
    );
    assert.doesNotMatch(all, /PRIVATE KEY|Bearer /i);
  });
});
