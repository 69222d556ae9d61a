// The one shared step of every driver method: validate providerSpec and Secret (all errors at once,
// each content parsed once, see parse-cache.ts), combine them, and pick the IaaS client for the
// request's credential. Deletion tolerates a providerSpec that no longer validates: a broken class
// must never keep a server alive.

import { toMachineError } from '../../errors.ts';
import type { IaasAuth, IaasEnv, ResolvedIaasConfig } from '../../iaas/index.ts';
import { resolveIaasConfig } from '../../iaas/index.ts';
import {
  credentialFingerprint,
  type FieldError,
  formatFieldErrors,
  type ProviderSecret,
  type ProviderSpec,
  regionPattern,
  resolveServerSettings,
  type ServerSettings,
  withUserData,
} from '../../machine-class/index.ts';
import type { Logger } from '../../util/log.ts';
import type { CallContext, MachineClass, MachineRequest, SecretData } from '../types.ts';
import { reportWarnings } from '../warnings.ts';
import type { ClientPool } from './client-pool.ts';
import { classNameOf, invalidInput } from './invalid-input.ts';
import type { ClassContext, MachineContext, ReadyMachineContext } from './machine-context.ts';
import { type ParseCache, PER_MACHINE_SECRET_KEY } from './parse-cache.ts';

/** The process's IaaS settings, resolved once at start; a bad variable fails every call, naming it. */
export type ProcessConfig = { ok: true; iaas: ResolvedIaasConfig } | { ok: false; error: unknown };

export function resolveProcessConfig(env: IaasEnv): ProcessConfig {
  try {
    return { ok: true, iaas: resolveIaasConfig(env) };
  } catch (error) {
    return { ok: false, error };
  }
}

export interface ResolveDeps {
  pool: ClientPool;
  config: ProcessConfig;
  parsed: ParseCache;
  log: Logger;
  /** Per-Machine warnings already logged (one line per class and text, not one per call). */
  warned: Set<string>;
}

type Mode = 'strict' | 'lenient';

export function resolveMachine(
  req: MachineRequest,
  ctx: CallContext,
  deps: ResolveDeps,
  mode: 'strict',
): ReadyMachineContext;
export function resolveMachine(
  req: MachineRequest,
  ctx: CallContext,
  deps: ResolveDeps,
  mode: Mode,
): MachineContext;
export function resolveMachine(
  req: MachineRequest,
  ctx: CallContext,
  deps: ResolveDeps,
  mode: Mode,
): MachineContext {
  const name = req.machine.metadata?.name ?? '';
  const namespace = req.machine.metadata?.namespace ?? req.machineClass.metadata?.namespace ?? 'default';
  const base = resolveClass(req.machineClass, req.secret, ctx, deps, mode, name);
  return {
    ...base.cc,
    namespace,
    ref: { name, namespace, className: base.cc.className },
    providerId: req.machine.spec?.providerID ?? '',
    orphanStandIn: !req.machine.metadata?.uid && !req.machine.metadata?.creationTimestamp,
    deleting: Boolean(req.machine.metadata?.deletionTimestamp),
    creationDeadline: creationDeadlineOf(req),
    spec: base.spec,
    settings: base.settings,
  };
}

function creationDeadlineOf(req: MachineRequest): number | undefined {
  const created = Date.parse(req.machine.metadata?.creationTimestamp ?? '');
  if (!Number.isFinite(created) || !req.creationTimeoutMs) return undefined;
  return created + req.creationTimeoutMs;
}

export function resolveListing(
  machineClass: MachineClass,
  secret: SecretData,
  ctx: CallContext,
  deps: ResolveDeps,
): ClassContext {
  // Listing needs only the credential and region: a class that fails validation must not hide
  // servers from orphan collection... but it must not widen it either, so the class name scopes it.
  return resolveClass(machineClass, secret, ctx, deps, 'lenient', undefined).cc;
}

function resolveClass(
  machineClass: MachineClass,
  secretData: SecretData,
  ctx: CallContext,
  deps: ResolveDeps,
  mode: Mode,
  machineName: string | undefined,
): { cc: ClassContext; spec: ProviderSpec | undefined; settings: ServerSettings | undefined } {
  const className = machineClass.metadata?.name ?? '';
  const namespace = machineClass.metadata?.namespace ?? 'default';
  const errors: FieldError[] = [];

  if (machineClass.provider !== undefined && machineClass.provider.toLowerCase() !== 'stackit') {
    errors.push({
      path: 'machineClass.provider',
      message: 'must be "stackit" for this provider',
      value: JSON.stringify(machineClass.provider),
    });
  }

  if (!deps.config.ok) throw toMachineError(deps.config.error, 'the machine-controller environment');
  const iaas = deps.config.iaas;

  const secretParsed = deps.parsed.secret(secretData, !iaas.noAuth);
  const specParsed = deps.parsed.providerSpec(machineClass);
  const secretResult = secretParsed.result;
  const specResult = specParsed.result;
  if (!secretResult.ok) errors.push(...secretResult.errors);
  if (!specResult.ok) errors.push(...specResult.errors);
  const classWarnings = [...secretResult.warnings, ...specResult.warnings];
  reportWarnings(classWarnings);
  if (secretParsed.fresh || specParsed.fresh)
    for (const w of classWarnings) deps.log.warn({ machineClass: classNameOf(machineClass) }, w);

  let spec: ProviderSpec | undefined = specResult.ok ? specResult.spec : undefined;
  let settings: ServerSettings | undefined;
  if (spec && secretResult.ok && machineName !== undefined) {
    const userData = secretData?.[PER_MACHINE_SECRET_KEY]?.toString('utf8');
    const secret = withUserData(secretResult.secret, userData?.trim() ? userData : undefined);
    const s = resolveServerSettings(spec, secret, machineName);
    if (s.ok) {
      settings = s.value;
      reportWarnings(s.warnings);
      logOnce(deps, className, s.warnings);
    } else errors.push(...s.errors);
  }

  const secretOk = secretResult.ok ? secretResult.secret : undefined;
  if (!secretOk || (mode === 'strict' && errors.length > 0))
    throw invalidInput(machineClass, secretData, errors);
  if (mode === 'lenient' && errors.length > 0) {
    deps.log.warn(
      { machineClass: className, errors: formatFieldErrors(errors) },
      'machine class invalid; deleting/listing with what is usable',
    );
    spec = undefined;
  }
  const region = settings?.region ?? regionLeniently(machineClass, secretOk);
  if (!region)
    throw invalidInput(
      machineClass,
      secretData,
      errors.length
        ? errors
        : [
            {
              path: 'providerSpec.region',
              message: 'is required, here or as region in the Secret, e.g. eu01',
            },
          ],
    );

  let handle: ReturnType<ClientPool['client']>;
  try {
    handle = deps.pool.client(
      {
        fingerprint: credentialFingerprint(secretOk, iaas.endpoint),
        endpoint: iaas.endpoint,
        projectId: secretOk.projectId,
        region,
      },
      () => authFor(secretOk, iaas),
    );
  } catch (e) {
    throw toMachineError(e, `machine class ${className}: setting up the STACKIT client`);
  }
  return {
    cc: {
      className,
      namespace,
      projectId: secretOk.projectId,
      region,
      client: handle.client,
      inventory: handle.inventory(className),
      call: { signal: ctx.signal, deadline: ctx.deadline },
      log: ctx.log,
    },
    spec,
    settings,
  };
}

function authFor(secret: ProviderSecret, iaas: ResolvedIaasConfig): IaasAuth {
  if (iaas.noAuth) return { type: 'none' };
  if (secret.serviceAccountKey !== undefined)
    return { type: 'service-account-key', key: secret.serviceAccountKey, tokenUrl: iaas.tokenUrl };
  if (secret.accessToken !== undefined) return { type: 'token', token: secret.accessToken };
  // parseSecret requires one of the two whenever authentication is on.
  throw new Error('the Secret has no credentials although it validated');
}

function regionLeniently(machineClass: MachineClass, secret: ProviderSecret): string | undefined {
  const raw = (machineClass.providerSpec as { region?: unknown } | undefined)?.region;
  if (typeof raw === 'string' && regionPattern.test(raw)) return raw;
  return secret.region;
}

function logOnce(deps: ResolveDeps, className: string, warnings: string[]): void {
  for (const w of warnings) {
    const key = `${className}\u0000${w}`;
    if (deps.warned.has(key)) continue;
    if (deps.warned.size > 10_000) deps.warned.clear();
    deps.warned.add(key);
    deps.log.warn({ machineClass: className }, w);
  }
}
