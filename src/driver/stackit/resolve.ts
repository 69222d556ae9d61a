// The one shared step of every driver method: validate providerSpec and Secret (all errors at once),
// combine them, and pick the IaaS client for the request's credential. Deletion tolerates a
// providerSpec that no longer validates: a broken class must never keep a server alive.

import { toMachineError } from '../../errors.ts';
import { type IaasAuth, type IaasEnv, resolveIaasConfig } from '../../iaas/index.ts';
import {
  credentialFingerprint,
  type FieldError,
  formatFieldErrors,
  type ProviderSecret,
  type ProviderSpec,
  parseProviderSpec,
  parseSecret,
  resolveServerSettings,
  type ServerSettings,
} from '../../machine-class/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import type { Logger } from '../../util/log.ts';
import type { CallContext, MachineClass, MachineRequest, SecretData } from '../types.ts';
import type { ClientPool } from './client-pool.ts';
import type { ClassContext, MachineContext } from './machine-context.ts';

export interface ResolveDeps {
  pool: ClientPool;
  env: IaasEnv;
  log: Logger;
  /** Warnings already logged (one line per class and text, not one per call). */
  warned: Set<string>;
}

type Mode = 'strict' | 'lenient';

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

  let iaas: ReturnType<typeof resolveIaasConfig>;
  try {
    iaas = resolveIaasConfig(deps.env);
  } catch (e) {
    throw toMachineError(e, 'the machine-controller environment');
  }

  const secretResult = parseSecret(secretData, { credentialsRequired: !iaas.noAuth });
  if (!secretResult.ok) errors.push(...secretResult.errors);
  const specResult = parseProviderSpec(machineClass.providerSpec);
  if (!specResult.ok) errors.push(...specResult.errors);
  warnOnce(deps, className, [...secretResult.warnings, ...specResult.warnings]);

  let spec: ProviderSpec | undefined = specResult.ok ? specResult.spec : undefined;
  let settings: ServerSettings | undefined;
  if (spec && secretResult.ok && machineName !== undefined) {
    const s = resolveServerSettings(spec, secretResult.secret, machineName);
    if (s.ok) {
      settings = s.value;
      warnOnce(deps, className, s.warnings);
    } else errors.push(...s.errors);
  }

  const secretOk = secretResult.ok ? secretResult.secret : undefined;
  if (mode === 'strict' && errors.length > 0) throw invalid(className, errors);
  if (!secretOk) throw invalid(className, errors);
  if (mode === 'lenient' && errors.length > 0) {
    deps.log.warn(
      { machineClass: className, errors: formatFieldErrors(errors) },
      'machine class invalid; deleting/listing with what is usable',
    );
    spec = undefined;
  }
  const region = settings?.region ?? regionLeniently(machineClass, secretOk);
  if (!region)
    throw invalid(
      className,
      errors.length
        ? errors
        : [
            {
              path: 'providerSpec.region',
              message: 'is required, here or as region in the Secret, e.g. eu01',
            },
          ],
    );

  const auth = authFor(secretOk, iaas);
  let handle: ReturnType<ClientPool['client']>;
  try {
    handle = deps.pool.client(
      {
        fingerprint: credentialFingerprint(secretOk, iaas.endpoint),
        endpoint: iaas.endpoint,
        projectId: secretOk.projectId,
        region,
      },
      () => auth,
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

function authFor(secret: ProviderSecret, iaas: ReturnType<typeof resolveIaasConfig>): IaasAuth {
  if (iaas.noAuth) return { type: 'none' };
  if (secret.serviceAccountKey !== undefined) {
    return {
      type: 'service-account-key',
      key: secret.serviceAccountKey,
      privateKey: secret.privateKey,
      tokenUrl: iaas.tokenUrl,
    };
  }
  if (secret.accessToken !== undefined) return { type: 'token', token: secret.accessToken };
  throw new MachineError(
    Code.InvalidArgument,
    'the Secret has no credentials: set serviceAccountKey (or serviceaccount.json)',
  );
}

function regionLeniently(machineClass: MachineClass, secret: ProviderSecret): string | undefined {
  const raw = (machineClass.providerSpec as { region?: unknown } | undefined)?.region;
  if (typeof raw === 'string' && /^[a-z]{2}\d{2}$/.test(raw)) return raw;
  return secret.region;
}

function invalid(className: string, errors: FieldError[]): MachineError {
  return new MachineError(
    Code.InvalidArgument,
    `machine class ${className} is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'}): ${formatFieldErrors(errors)}`,
  );
}

function warnOnce(deps: ResolveDeps, className: string, warnings: string[]): void {
  for (const w of warnings) {
    const key = `${className}\u0000${w}`;
    if (deps.warned.has(key)) continue;
    if (deps.warned.size > 10_000) deps.warned.clear();
    deps.warned.add(key);
    deps.log.warn({ machineClass: className }, w);
  }
}
