// The DriverService gRPC handlers: decode the request, call the Driver with a deadline-bound
// CallContext, and answer with the result or the driver's error in the response's `error` field.
// gRPC status is always OK here; gRPC-level errors are left to the transport (see driver.proto).
import { status as grpcStatus, type handleUnaryCall, type ServerUnaryCall } from '@grpc/grpc-js';
import { type ApiCallRecord, withApiCalls } from '../driver/api-calls.ts';
import type { CallContext, Driver, MachineIdentity, MachineRequest, SecretData } from '../driver/types.ts';
import { withWarnings } from '../driver/warnings.ts';
import { Code, codeName } from '../mcm/codes.ts';
import { isMachineError } from '../mcm/errors.ts';
import type { Logger } from '../util/log.ts';
import { decodeListRequest, decodeMachineRequest, decodeVolumesRequest, encodeIdentity } from './codec.ts';
import type {
  ApiCall,
  DriverServiceServer,
  MetricsRequest,
  MetricsResponse,
  Status,
} from './generated/stackit/driver/v1/driver.ts';

/** Used when the caller sets no deadline (the Go bridge always does): drivers must always have one. */
export const DEFAULT_DEADLINE_MS = 60_000;

interface Names {
  machine?: string;
  machineClass?: string;
}

interface Failure {
  status: Status;
  partial?: MachineIdentity;
}

/**
 * Any thrown value -> wire status. Only MachineError messages travel; others are logged here,
 * with every Secret value of the request scrubbed from message and stack (a driver bug must not
 * turn into a leaked credential).
 */
export function toFailure(err: unknown, method: string, log: Logger, secret: SecretData = {}): Failure {
  if (isMachineError(err)) {
    return {
      status: { code: err.code, message: err.message, machineFailed: err.machineFailed },
      partial: err.partial,
    };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  log.error(
    { err: { type: e.name, message: scrub(e.message, secret), stack: scrub(e.stack ?? '', secret) } },
    'driver threw an unexpected error',
  );
  return {
    status: {
      code: Code.Internal,
      message: `driver failed unexpectedly during ${method}; see the driver plugin log`,
      machineFailed: false,
    },
  };
}

/** Removes Secret values (and, for multi-line values such as PEM keys, each longer line) from text. */
export function scrub(text: string, secret: SecretData): string {
  const needles = new Set<string>();
  for (const buf of Object.values(secret)) {
    for (const form of [buf.toString('utf8'), buf.toString('base64')]) {
      if (form.length >= 6) needles.add(form);
      for (const line of form.split('\n')) if (line.trim().length >= 16) needles.add(line.trim());
    }
  }
  let out = text;
  for (const n of [...needles].sort((a, b) => b.length - a.length)) out = out.replaceAll(n, '(redacted)');
  return out;
}

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : Date.now() + DEFAULT_DEADLINE_MS;
}

export interface ServiceDeps {
  driver: Driver;
  log: Logger;
  /** Called when a call starts and ends: graceful shutdown waits for in-flight calls. */
  track?: (delta: 1 | -1) => void;
  /** The plugin's own metrics (process, event loop), served after the driver's by Metrics. */
  pluginMetrics?: () => Promise<string>;
}

/** The driver's own records -> wire ApiCalls (a copy: requests still running after the answer are not sent). */
function toWire(calls: readonly ApiCallRecord[]): ApiCall[] {
  return calls.map((c) => ({ service: c.service, durationSeconds: c.durationSeconds, failed: c.failed }));
}

/** What every handler adds itself: the call's API requests and MachineClass warnings. */
type Collected = 'apiCalls' | 'warnings';

/**
 * One DriverService handler. The driver call runs inside withApiCalls and withWarnings: every cloud
 * API request it makes lands in the response's apiCalls, every warning about the MachineClass or
 * Secret in its warnings, on success and on failure alike. (GetVolumeIDsResponse has no warnings
 * field; the encoder ignores it there.)
 */
function unary<WReq, WRes extends { apiCalls: ApiCall[] }, Args>(
  deps: ServiceDeps,
  method: string,
  decode: (w: WReq) => Args,
  names: (a: Args) => Names,
  run: (a: Args, ctx: CallContext) => Promise<Omit<WRes, Collected>>,
  fail: (f: Failure) => Omit<WRes, Collected>,
): handleUnaryCall<WReq, WRes> {
  return (call, callback) => {
    const started = performance.now();
    const deadline = deadlineOf(call as ServerUnaryCall<unknown, unknown>);
    const ac = new AbortController();
    const timer = setTimeout(
      () => ac.abort(new Error(`deadline of ${method} exceeded`)),
      Math.max(0, deadline - Date.now()),
    );
    timer.unref();
    call.on('cancelled', () => ac.abort(new Error(`${method} cancelled by the caller`)));
    deps.track?.(1);
    let who: Names = {};
    let secret: SecretData = {};
    const ctx: CallContext = { signal: ac.signal, deadline, log: deps.log.child({ method }) };
    const apiCalls: ApiCallRecord[] = [];
    const warnings = new Set<string>();
    withApiCalls(apiCalls, () =>
      withWarnings(warnings, async () => {
        const args = decode(call.request);
        who = names(args);
        secret = (args as { secret?: SecretData }).secret ?? {};
        ctx.log = deps.log.child({ method, ...who });
        return run(args, ctx);
      }),
    )
      .then(
        (res) => ({ res, code: 0, message: undefined as string | undefined }),
        (err: unknown) => {
          const f = toFailure(err, method, ctx.log, secret);
          return { res: fail(f), code: f.status.code, message: f.status.message };
        },
      )
      .then(({ res, code, message }) => {
        clearTimeout(timer);
        const durationMs = Math.round((performance.now() - started) * 10) / 10;
        const line = { method, ...who, durationMs, code: codeName(code) };
        // Off the hot path: at 1000 Machines a line per call is most of the plugin's output. A
        // Machine waiting for its server (Uninitialized) is no failure either; LOG_LEVEL=debug shows all.
        if (code === 0 || code === Code.Uninitialized) deps.log.debug({ ...line, message }, 'driver call');
        else deps.log.info({ ...line, message }, 'driver call failed');
        deps.track?.(-1);
        callback(null, { ...res, apiCalls: toWire(apiCalls), warnings: [...warnings] } as unknown as WRes);
      });
  };
}

const machineNames = (r: MachineRequest): Names => ({
  machine: r.machine.metadata?.name,
  machineClass: r.machineClass.metadata?.name,
});

export function driverService(deps: ServiceDeps): DriverServiceServer {
  const { driver } = deps;
  return {
    createMachine: unary(
      deps,
      'CreateMachine',
      decodeMachineRequest,
      machineNames,
      async (r, ctx) => {
        const res = await driver.createMachine(r, ctx);
        return { ...encodeIdentity(res), lastKnownState: res.lastKnownState ?? '' };
      },
      (f) => ({ ...encodeIdentity(f.partial), lastKnownState: '', error: f.status }),
    ),
    initializeMachine: unary(
      deps,
      'InitializeMachine',
      decodeMachineRequest,
      machineNames,
      async (r, ctx) => encodeIdentity(await driver.initializeMachine(r, ctx)),
      (f) => ({ ...encodeIdentity(f.partial), error: f.status }),
    ),
    deleteMachine: unary(
      deps,
      'DeleteMachine',
      decodeMachineRequest,
      machineNames,
      async (r, ctx) => ({ lastKnownState: (await driver.deleteMachine(r, ctx)).lastKnownState ?? '' }),
      (f) => ({ lastKnownState: '', error: f.status }),
    ),
    getMachineStatus: unary(
      deps,
      'GetMachineStatus',
      decodeMachineRequest,
      machineNames,
      async (r, ctx) => encodeIdentity(await driver.getMachineStatus(r, ctx)),
      (f) => ({ ...encodeIdentity(f.partial), error: f.status }),
    ),
    listMachines: unary(
      deps,
      'ListMachines',
      decodeListRequest,
      (r) => ({ machineClass: r.machineClass.metadata?.name }),
      async (r, ctx) => ({ machineList: (await driver.listMachines(r, ctx)).machineList }),
      (f) => ({ machineList: {}, error: f.status }),
    ),
    getVolumeIDs: unary(
      deps,
      'GetVolumeIDs',
      decodeVolumesRequest,
      () => ({}),
      async (r, ctx) => ({ volumeIds: (await driver.getVolumeIds(r, ctx)).volumeIds }),
      (f) => ({ volumeIds: [], error: f.status }),
    ),
    metrics: (_call: ServerUnaryCall<MetricsRequest, MetricsResponse>, callback) => {
      metricsText(deps).then(
        (text) => callback(null, { text }),
        (err: unknown) => {
          deps.log.warn({ err: { message: (err as Error)?.message } }, 'collecting metrics failed');
          callback({ code: grpcStatus.INTERNAL, details: 'collecting the driver plugin metrics failed' });
        },
      );
    },
  };
}

/** The driver's registry, then the plugin's own; names never overlap (different prefixes). */
async function metricsText(deps: ServiceDeps): Promise<string> {
  const parts = await Promise.all([deps.driver.metrics?.exposition() ?? '', deps.pluginMetrics?.() ?? '']);
  return parts
    .filter((p) => p.trim() !== '')
    .map((p) => (p.endsWith('\n') ? p : `${p}\n`))
    .join('');
}
