// The plugin reports, with every driver answer, the cloud API requests the call made (the bridge
// records MCM's mcm_cloud_api_* metrics from them), and serves the driver's own registry through
// the Metrics RPC. In-process plugin server over a real Unix socket, a scripted driver.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { recordApiCall } from '../../src/driver/api-calls.ts';
import { DriverMetrics } from '../../src/driver/stackit/api-metrics.ts';
import type { Driver } from '../../src/driver/types.ts';
import { Code, MachineError } from '../../src/mcm/errors.ts';
import type {
  CreateMachineResponse,
  DeleteMachineResponse,
  DriverServiceClient,
  GetMachineStatusResponse,
  ListMachinesResponse,
  MetricsResponse,
} from '../../src/plugin/generated/stackit/driver/v1/driver.ts';
import { type PluginServer, startPluginServer } from '../../src/plugin/server.ts';
import {
  captureLogger,
  driverClient,
  invoke,
  machine,
  machineClass,
  md,
  secret,
  within,
} from '../bridge/helpers.ts';

const tick = () => new Promise((r) => setImmediate(r));

/** A STACKIT-like driver: its IaaS client hook (DriverMetrics.onRequest) sees each HTTP attempt. */
function fakeDriver(metrics: DriverMetrics | undefined): Driver {
  const hook = (operation: string, status: number | undefined, retried = false) =>
    metrics
      ? metrics.onRequest({
          operation,
          method: 'GET',
          status,
          durationMs: 120,
          attempt: retried ? 2 : 1,
          retried,
          error: status === undefined ? 'network' : undefined,
        })
      : recordApiCall({
          service: operation,
          durationSeconds: 0.12,
          failed: status === undefined || status >= 400,
        });
  return {
    async createMachine() {
      hook('ListServers', 200);
      await tick(); // requests after an await still belong to this call
      hook('CreateServer', 201);
      return { providerId: 'stackit://p/s', nodeName: 'm-1' };
    },
    async initializeMachine() {
      return { providerId: 'stackit://p/s', nodeName: 'm-1' };
    },
    async deleteMachine() {
      hook('DeleteServer', 503);
      await tick();
      hook('DeleteServer', undefined, true);
      throw new MachineError(Code.Unavailable, 'DeleteServer failed: HTTP 503');
    },
    async getMachineStatus() {
      hook('GetServer', 200);
      throw new MachineError(Code.Uninitialized, 'server is CREATING', {
        partial: { providerId: 'stackit://p/s', nodeName: 'm-1' },
      });
    },
    async listMachines() {
      hook('ListServers', 429);
      await tick();
      hook('ListServers', 200, true);
      return { machineList: {} };
    },
    async getVolumeIds() {
      return { volumeIds: [] };
    },
    ...(metrics ? { metrics } : {}),
  };
}

async function serve(driver: Driver): Promise<{ server: PluginServer; client: DriverServiceClient }> {
  const server = await startPluginServer({ driver, log: captureLogger().log });
  return { server, client: driverClient(server.socketPath) };
}

const req = () => ({
  machine: machine('m-1'),
  machineClass: machineClass(),
  secret: secret({ projectId: 'p' }),
  creationTimeoutMs: 0,
});

describe('plugin: API requests per driver call', () => {
  const metrics = new DriverMetrics();
  let s: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    s = await serve(fakeDriver(metrics));
  });
  after(async () => {
    s.client.close();
    await s.server.close(0);
  });

  test('a successful call carries every request it made, in order', async () => {
    const res = await invoke<CreateMachineResponse>((cb) =>
      s.client.createMachine(req(), md(), within(), cb),
    );
    assert.equal(res.error, undefined);
    assert.deepEqual(res.apiCalls, [
      { service: 'ListServers', durationSeconds: 0.12, failed: false },
      { service: 'CreateServer', durationSeconds: 0.12, failed: false },
    ]);
  });

  test('a failed call carries its requests too, failed ones marked', async () => {
    const res = await invoke<DeleteMachineResponse>((cb) =>
      s.client.deleteMachine(req(), md(), within(), cb),
    );
    assert.equal(res.error?.code, Code.Unavailable);
    assert.deepEqual(
      res.apiCalls.map((c) => [c.service, c.failed]),
      [
        ['DeleteServer', true],
        ['DeleteServer', true],
      ],
    );
    const status = await invoke<GetMachineStatusResponse>((cb) =>
      s.client.getMachineStatus(req(), md(), within(), cb),
    );
    assert.equal(status.error?.code, Code.Uninitialized);
    assert.deepEqual(
      status.apiCalls.map((c) => c.service),
      ['GetServer'],
    );
  });

  test('concurrent calls each get only their own requests', async () => {
    const [a, b, c] = await Promise.all([
      invoke<CreateMachineResponse>((cb) => s.client.createMachine(req(), md(), within(), cb)),
      invoke<ListMachinesResponse>((cb) =>
        s.client.listMachines(
          { machineClass: machineClass(), secret: secret({}), machineProviderIds: {}, machinesListed: false },
          md(),
          within(),
          cb,
        ),
      ),
      invoke<DeleteMachineResponse>((cb) => s.client.deleteMachine(req(), md(), within(), cb)),
    ]);
    assert.deepEqual(
      a.apiCalls.map((x) => x.service),
      ['ListServers', 'CreateServer'],
    );
    assert.deepEqual(
      b.apiCalls.map((x) => [x.service, x.failed]),
      [
        ['ListServers', true],
        ['ListServers', false],
      ],
    );
    assert.deepEqual(
      c.apiCalls.map((x) => x.service),
      ['DeleteServer', 'DeleteServer'],
    );
  });

  test("Metrics serves the driver's registry and the plugin's process metrics", async () => {
    const { text } = await invoke<MetricsResponse>((cb) => s.client.metrics({}, md(), within(), cb));
    assert.match(text, /^stackit_iaas_throttled_total\{operation="ListServers"\} [1-9]/m);
    assert.match(text, /^stackit_iaas_request_retries_total\{operation="DeleteServer"\} [1-9]/m);
    assert.match(text, /^stackit_iaas_responses_total\{operation="DeleteServer",code="network"\} [1-9]/m);
    assert.match(text, /^stackit_iaas_responses_total\{operation="CreateServer",code="201"\} [1-9]/m);
    assert.match(text, /^# TYPE stackit_driver_plugin_process_resident_memory_bytes gauge$/m);
    // Nothing the controller's own registry owns.
    assert.doesNotMatch(text, /^(mcm_|go_|process_|promhttp_)/m);
  });
});

describe('plugin: a driver without metrics of its own', () => {
  test('Metrics still answers (plugin process metrics only) and calls carry their requests', async () => {
    const s = await serve(fakeDriver(undefined));
    try {
      const { text } = await invoke<MetricsResponse>((cb) => s.client.metrics({}, md(), within(), cb));
      assert.doesNotMatch(text, /stackit_iaas_/);
      assert.match(text, /^stackit_driver_plugin_process_cpu_seconds_total /m);
      const res = await invoke<CreateMachineResponse>((cb) =>
        s.client.createMachine(req(), md(), within(), cb),
      );
      assert.deepEqual(
        res.apiCalls.map((c) => c.service),
        ['ListServers', 'CreateServer'],
      );
    } finally {
      s.client.close();
      await s.server.close(0);
    }
  });
});
