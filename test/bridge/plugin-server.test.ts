// The plugin's gRPC server in-process: decoding, error mapping, deadlines, logging and the go-plugin
// services, over a real Unix socket.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { credentials, status } from '@grpc/grpc-js';
import type { CallContext, Driver, MachineRequest } from '../../src/driver/types.ts';
import { reportWarnings } from '../../src/driver/warnings.ts';
import { Code, MachineError } from '../../src/mcm/errors.ts';
import {
  type HealthCheckResponse,
  HealthClient,
  type HealthListResponse,
  HealthCheckResponse_ServingStatus as Serving,
} from '../../src/plugin/generated/grpc/health/v1/health.ts';
import { GRPCControllerClient } from '../../src/plugin/generated/plugin/grpc_controller.ts';
import type {
  CreateMachineResponse,
  DeleteMachineResponse,
  DriverServiceClient,
  GetMachineStatusResponse,
  GetVolumeIDsResponse,
  InitializeMachineResponse,
  ListMachinesResponse,
} from '../../src/plugin/generated/stackit/driver/v1/driver.ts';
import { type PluginServer, startPluginServer } from '../../src/plugin/server.ts';
import { captureLogger, driverClient, invoke, machine, machineClass, md, secret, within } from './helpers.ts';

const SECRET_VALUE = 'sup3r-s3cret-key-material';

/** A driver whose behaviour each test sets, recording what it received. */
function scriptedDriver() {
  const seen: { req?: MachineRequest; ctx?: CallContext } = {};
  let behaviour: (req: MachineRequest, ctx: CallContext) => Promise<unknown> = async () => ({
    providerId: 'stackit://p/s',
    nodeName: 'n',
  });
  const run = async (req: MachineRequest, ctx: CallContext) => {
    seen.req = req;
    seen.ctx = ctx;
    return behaviour(req, ctx);
  };
  const driver = {
    createMachine: run,
    initializeMachine: run,
    deleteMachine: run,
    getMachineStatus: run,
    // Echoes the Machines the bridge sent (name -> ProviderID) as listed servers.
    listMachines: async (r: { machines?: Record<string, string> }) => ({
      machineList: {
        'stackit://p/1': 'm-1',
        ...Object.fromEntries(Object.entries(r.machines ?? {}).map(([name, id]) => [id, name])),
      },
    }),
    getVolumeIds: async (r: { pvSpecs: { csi?: { volumeHandle: string } }[] }) => ({
      volumeIds: r.pvSpecs.flatMap((s) => (s.csi ? [s.csi.volumeHandle] : [])),
    }),
  } as unknown as Driver;
  return { driver, seen, set: (b: typeof behaviour) => (behaviour = b) };
}

describe('plugin server', () => {
  const logs = captureLogger();
  const scripted = scriptedDriver();
  let server: PluginServer;
  let client: DriverServiceClient;
  let shutdownRequests = 0;

  before(async () => {
    server = await startPluginServer({
      driver: scripted.driver,
      log: logs.log,
      onShutdownRequest: () => shutdownRequests++,
    });
    client = driverClient(server.socketPath);
  });
  after(async () => {
    client?.close();
    await server?.close();
  });

  const request = (name = 'm-1') => ({
    machine: machine(name),
    machineClass: machineClass(),
    secret: secret({ serviceAccountKey: SECRET_VALUE, userData: '#cloud-config' }),
    creationTimeoutMs: 0,
  });

  test('decodes Kubernetes JSON and base64 Secret data into the driver request', async () => {
    scripted.set(async () => ({
      providerId: 'stackit://p/s',
      nodeName: 'm-1',
      lastKnownState: 'x',
      addresses: [{ type: 'InternalIP', address: '10.1.1.1' }],
    }));
    const res = await invoke<CreateMachineResponse>((cb) =>
      client.createMachine(request(), md(), within(), cb),
    );
    assert.equal(res.providerId, 'stackit://p/s');
    assert.equal(res.lastKnownState, 'x');
    assert.deepEqual(res.addresses, [{ type: 'InternalIP', address: '10.1.1.1' }]);
    assert.equal(res.error, undefined);
    const req = scripted.seen.req!;
    assert.equal(req.machine.metadata?.name, 'm-1');
    assert.equal(req.machineClass.metadata?.name, 'class-a');
    assert.ok(Buffer.isBuffer(req.secret.serviceAccountKey));
    assert.equal(req.secret.serviceAccountKey.toString(), SECRET_VALUE);
  });

  test('passes the caller deadline as CallContext deadline and an AbortSignal that fires', async () => {
    let aborted: Promise<void> | undefined;
    scripted.set((_req, ctx) => {
      aborted = new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      return new Promise(() => {});
    });
    const before = Date.now();
    await assert.rejects(
      invoke<GetMachineStatusResponse>((cb) => client.getMachineStatus(request(), md(), within(300), cb)),
      (err: { code: number }) => err.code === 4, // gRPC DEADLINE_EXCEEDED
    );
    const ctx = scripted.seen.ctx!;
    assert.ok(
      ctx.deadline >= before + 200 && ctx.deadline <= before + 2000,
      `deadline ${ctx.deadline - before}`,
    );
    await aborted;
    assert.ok(ctx.signal.aborted);
  });

  test('MachineError travels as the response status, with the partial identity', async () => {
    for (let code = 1; code <= 17; code++) {
      scripted.set(async () => {
        throw new MachineError(code as 1, `failed [${code}]`, {
          partial: { providerId: 'stackit://p/partial', nodeName: 'm-1' },
        });
      });
      const res = await invoke<GetMachineStatusResponse>((cb) =>
        client.getMachineStatus(request(), md(), within(), cb),
      );
      // MachineError replaces brackets: MCM parses its error string by them.
      assert.deepEqual(res.error, { code, message: `failed (${code})`, machineFailed: false });
      assert.equal(res.providerId, 'stackit://p/partial');
    }
    // The flag that has the bridge mark the Machine Failed (InitializeMachine) travels too.
    scripted.set(async () => {
      throw new MachineError(8, 'no capacity', { machineFailed: true });
    });
    const res = await invoke<GetMachineStatusResponse>((cb) =>
      client.getMachineStatus(request(), md(), within(), cb),
    );
    assert.deepEqual(res.error, { code: 8, message: 'no capacity', machineFailed: true });
  });

  test('any other thrown error is Internal with a safe message', async () => {
    scripted.set(async (req) => {
      throw new Error(`oops ${req.secret.serviceAccountKey?.toString()}`);
    });
    const res = await invoke<DeleteMachineResponse>((cb) =>
      client.deleteMachine(request(), md(), within(), cb),
    );
    assert.equal(res.error?.code, Code.Internal);
    assert.doesNotMatch(res.error?.message ?? '', /s3cret/);
  });

  test('MachineClass warnings travel on the response, each once, also when the call fails', async () => {
    scripted.set(async () => {
      reportWarnings(['providerSpec.securityGroup: unknown field, ignored', 'secret.region: a zone']);
      reportWarnings(['providerSpec.securityGroup: unknown field, ignored']);
      throw new MachineError(Code.InvalidArgument, 'machine class class-a is invalid');
    });
    const failed = await invoke<CreateMachineResponse>((cb) =>
      client.createMachine(request(), md(), within(), cb),
    );
    assert.deepEqual(failed.warnings, [
      'providerSpec.securityGroup: unknown field, ignored',
      'secret.region: a zone',
    ]);
    assert.equal(failed.error?.code, Code.InvalidArgument);
    // Warnings belong to their call: the next one starts with none.
    scripted.set(async () => ({ providerId: 'stackit://p/s', nodeName: 'm-1' }));
    const ok = await invoke<GetMachineStatusResponse>((cb) =>
      client.getMachineStatus(request(), md(), within(), cb),
    );
    assert.deepEqual(ok.warnings, []);
  });

  test('invalid or missing objects are InvalidArgument without echoing the bytes', async () => {
    const res = await invoke<CreateMachineResponse>((cb) =>
      client.createMachine(
        {
          machine: Buffer.from('{"not json'),
          machineClass: machineClass(),
          secret: Buffer.alloc(0),
          creationTimeoutMs: 0,
        },
        md(),
        within(),
        cb,
      ),
    );
    assert.equal(res.error?.code, Code.InvalidArgument);
    const missing = await invoke<InitializeMachineResponse>((cb) =>
      client.initializeMachine(
        {
          machine: machine('m'),
          machineClass: Buffer.alloc(0),
          secret: Buffer.alloc(0),
          creationTimeoutMs: 0,
        },
        md(),
        within(),
        cb,
      ),
    );
    assert.equal(missing.error?.code, Code.InvalidArgument);
    assert.match(missing.error?.message ?? '', /MachineClass/);
  });

  test('ListMachines and GetVolumeIDs round trip', async () => {
    const list = await invoke<ListMachinesResponse>((cb) =>
      client.listMachines(
        {
          machineClass: machineClass(),
          secret: secret({}),
          machineProviderIds: { 'm-2': 'stackit://p/2' },
          machinesListed: true,
        },
        md(),
        within(),
        cb,
      ),
    );
    assert.deepEqual(list.machineList, { 'stackit://p/1': 'm-1', 'stackit://p/2': 'm-2' });
    const vols = await invoke<GetVolumeIDsResponse>((cb) =>
      client.getVolumeIDs(
        {
          pvSpecs: [
            Buffer.from(JSON.stringify({ csi: { driver: 'd', volumeHandle: 'v-1' } })),
            Buffer.alloc(0),
          ],
        },
        md(),
        within(),
        cb,
      ),
    );
    assert.deepEqual(vols.volumeIds, ['v-1']);
  });

  test('logs one line per call with method, names, duration and code, and never the secret', () => {
    const lines = logs
      .text()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const call = lines.find((l) => l.method === 'CreateMachine' && l.code === 'OK');
    assert.ok(call, 'a CreateMachine line');
    assert.equal(call.machine, 'm-1');
    assert.equal(call.machineClass, 'class-a');
    assert.equal(typeof call.durationMs, 'number');
    assert.ok(lines.some((l) => l.method === 'GetMachineStatus' && l.code === 'Uninitialized'));
    assert.doesNotMatch(logs.text(), new RegExp(SECRET_VALUE));
    assert.doesNotMatch(logs.text(), new RegExp(Buffer.from(SECRET_VALUE).toString('base64')));
  });

  test('serves go-plugin health ("plugin" SERVING) and GRPCController.Shutdown', async () => {
    const health = new HealthClient(`unix:${server.socketPath}`, credentials.createInsecure());
    const check = (service: string) => invoke<HealthCheckResponse>((cb) => health.check({ service }, cb));
    assert.equal((await check('plugin')).status, Serving.SERVING);
    assert.equal((await check('')).status, Serving.SERVING);
    await assert.rejects(check('no-such-service'), { code: status.NOT_FOUND });
    const listed = await invoke<HealthListResponse>((cb) => health.list({}, cb));
    assert.deepEqual(Object.keys(listed.statuses).sort(), ['', 'plugin']);
    const watch = health.watch({ service: 'plugin' });
    watch.on('error', () => {}); // the cancel below ends it with CANCELLED
    const first = await new Promise<HealthCheckResponse>((resolve) => watch.once('data', resolve));
    assert.equal(first.status, Serving.SERVING);
    watch.cancel();
    health.close();

    const controller = new GRPCControllerClient(`unix:${server.socketPath}`, credentials.createInsecure());
    await invoke((cb) => controller.shutdown({}, cb));
    controller.close();
    await new Promise((r) => setImmediate(r));
    assert.equal(shutdownRequests, 1);
  });

  test('close removes the socket directory', async () => {
    const dir = dirname(server.socketPath);
    assert.ok(existsSync(dir));
    client.close();
    await server.close();
    assert.ok(!existsSync(dir));
  });
});
