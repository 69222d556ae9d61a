// A STACKIT driver wired to a running simulator, and requests shaped like the ones MCM sends.
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { FailureHolds } from '../../src/driver/stackit/driver-state.ts';
import { createStackitDriver } from '../../src/driver/stackit/index.ts';
import type {
  CallContext,
  Machine,
  MachineClass,
  MachineRequest,
  SecretData,
} from '../../src/driver/types.ts';
import type { MachineError } from '../../src/mcm/errors.ts';
import { type RunningSimulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.ts';

export const silent = pino({ level: 'silent' });

export interface Env {
  sim: RunningSimulator;
  driver: ReturnType<typeof createStackitDriver>;
  keyJson: string;
  close(): Promise<void>;
}

export async function startEnv(
  opts: SimulatorOptions = {},
  driverOpts: { failureHolds?: Partial<FailureHolds>; deleteWaitMs?: number } = {},
): Promise<Env> {
  const sim = await startSimulator({
    bootDelayMs: 150,
    deleteDelayMs: 100,
    randomSeed: 1,
    logger: silent,
    ...opts,
  });
  const key = await sim.createServiceAccountKey();
  const driver = createStackitDriver({
    log: silent,
    env: { STACKIT_IAAS_ENDPOINT: sim.url },
    // Tests step time by hand; a zero-age inventory makes every call see the simulator's present.
    inventoryMaxAgeMs: 0,
    // Most tests play MCM's retries by hand (mcmDelete); the in-call wait has its own test.
    deleteWaitMs: 0,
    ...driverOpts,
  });
  return { sim, driver, keyJson: JSON.stringify(key), close: () => sim.close() };
}

export function ctx(timeoutMs = 10_000): CallContext {
  return { signal: AbortSignal.timeout(timeoutMs), deadline: Date.now() + timeoutMs, log: silent };
}

export function secretFor(env: Env, extra: Record<string, string> = {}): SecretData {
  const d = env.sim.defaults;
  const data: Record<string, string> = {
    projectId: d.projectId,
    serviceAccountKey: env.keyJson,
    region: d.region,
    networkId: d.networkId,
    userData: '#cloud-config\nhostname: test\n',
    ...extra,
  };
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)]));
}

export function minimalSpec(env: Env, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const d = env.sim.defaults;
  return { machineType: d.machineType, imageId: d.imageId, region: d.region, ...extra };
}

export function machineClass(name: string, providerSpec: unknown, namespace = 'shoot--test'): MachineClass {
  return {
    apiVersion: 'machine.sapcloud.io/v1alpha1',
    kind: 'MachineClass',
    metadata: { name, namespace },
    provider: 'stackit',
    providerSpec,
  } as MachineClass;
}

export function machine(
  name: string,
  className: string,
  providerID = '',
  namespace = 'shoot--test',
): Machine {
  return {
    apiVersion: 'machine.sapcloud.io/v1alpha1',
    kind: 'Machine',
    // uid and creationTimestamp as every stored Machine has (only MCM's orphan stand-in lacks them).
    metadata: { name, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString() },
    spec: { class: { kind: 'MachineClass', name: className }, providerID },
  } as Machine;
}

export function request(
  env: Env,
  name: string,
  spec: unknown,
  o: { className?: string; providerID?: string; namespace?: string; secret?: SecretData } = {},
): MachineRequest {
  const className = o.className ?? 'class-a';
  return {
    machine: machine(name, className, o.providerID ?? '', o.namespace),
    machineClass: machineClass(className, spec, o.namespace),
    secret: o.secret ?? secretFor(env),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The error a driver call rejected with; fails the test when the call succeeded. */
export async function errorOf(p: Promise<unknown>): Promise<MachineError> {
  try {
    await p;
  } catch (e) {
    return e as MachineError;
  }
  throw new Error('expected the call to fail');
}

/** Error code of a rejected driver call, or 'OK'. */
export async function codeOf(p: Promise<unknown>): Promise<number | 'OK'> {
  try {
    await p;
    return 'OK';
  } catch (e) {
    return (e as { code: number }).code;
  }
}

/**
 * Plays MCM's creation flow (machinecontroller/machine.go triggerCreationFlow) until the Machine
 * would go Pending: GetMachineStatus first, CreateMachine while there is no ProviderID,
 * InitializeMachine after a create or on Uninitialized. Returns the ProviderID MCM would store.
 */
export async function mcmCreate(
  env: Env,
  req: MachineRequest,
  maxPasses = 200,
): Promise<{ providerId: string; nodeName: string; passes: number }> {
  let providerId = req.machine.spec?.providerID ?? '';
  let nodeName = '';
  for (let pass = 1; pass <= maxPasses; pass++) {
    const current = {
      ...req,
      machine: { ...req.machine, spec: { ...req.machine.spec, providerID: providerId } },
    } as MachineRequest;
    let needInit = false;
    try {
      const st = await env.driver.getMachineStatus(current, ctx());
      if (!providerId) providerId = st.providerId;
      nodeName ||= st.nodeName;
      return { providerId, nodeName, passes: pass };
    } catch (e) {
      const err = e as { code: number; partial?: { providerId: string; nodeName: string } };
      if (err.code === 5 /* NotFound */ && !providerId) {
        try {
          const created = await env.driver.createMachine(current, ctx());
          providerId = created.providerId;
          nodeName = created.nodeName;
          needInit = true;
        } catch {
          await sleep(50);
          continue;
        }
      } else if (err.code === 17 /* Uninitialized */ && err.partial) {
        providerId ||= err.partial.providerId;
        nodeName ||= err.partial.nodeName;
        needInit = true;
      } else if (err.code === 5) {
        // NotFound with a ProviderID: MCM keeps the ProviderID and moves on to Pending.
        return { providerId, nodeName, passes: pass };
      } else {
        await sleep(50);
        continue;
      }
    }
    if (needInit) {
      const withId = {
        ...current,
        machine: { ...current.machine, spec: { ...current.machine.spec, providerID: providerId } },
      } as MachineRequest;
      try {
        await env.driver.initializeMachine(withId, ctx());
      } catch (e) {
        // The bridge marks the Machine Failed: this Machine's creation is over.
        if ((e as { machineFailed?: boolean }).machineFailed) throw e;
      }
      await sleep(50); // MCM: 5 s
    }
  }
  throw new Error(`machine ${req.machine.metadata?.name} did not reach Pending in ${maxPasses} passes`);
}

/** Plays MCM's DeleteMachine retries until OK. */
export async function mcmDelete(env: Env, req: MachineRequest, maxPasses = 80): Promise<number> {
  for (let pass = 1; pass <= maxPasses; pass++) {
    try {
      await env.driver.deleteMachine(req, ctx());
      return pass;
    } catch (e) {
      if ((e as { code: number }).code !== 14) throw e;
      await sleep(50);
    }
  }
  throw new Error('delete did not finish');
}

export const withProviderId = (req: MachineRequest, providerID: string): MachineRequest =>
  ({ ...req, machine: { ...req.machine, spec: { ...req.machine.spec, providerID } } }) as MachineRequest;

/** Calls an IaaS path of the default project as the test's service account (behind the driver's back). */
export async function apiRequest(env: Env, method: string, path: string, body?: unknown): Promise<Response> {
  const token = await env.sim.mintAccessToken(JSON.parse(env.keyJson).credentials.kid);
  return fetch(
    `${env.sim.url}/v2/projects/${env.sim.defaults.projectId}/regions/${env.sim.defaults.region}${path}`,
    {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    },
  );
}

/** GET an IaaS path of the default project as the test's service account. */
export async function apiGet(env: Env, path: string): Promise<Record<string, unknown>> {
  const res = await apiRequest(env, 'GET', path);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

/** A server made directly in the simulator with the given labels, as another party would. */
export async function createServerDirectly(
  env: Env,
  name: string,
  labels: Record<string, string>,
  metadata: object = {},
): Promise<string> {
  const d = env.sim.defaults;
  const res = await apiRequest(env, 'POST', '/servers', {
    name,
    machineType: d.machineType,
    imageId: d.imageId,
    networking: { networkId: d.networkId },
    labels,
    metadata,
  });
  if (res.status !== 201) throw new Error(`creating server ${name}: HTTP ${res.status}`);
  return ((await res.json()) as { id: string }).id;
}
