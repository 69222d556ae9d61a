// A MachineClass to check and its merged Secret, however they were loaded (files or a cluster).
import type { MachineClass, SecretData } from '../driver/types.ts';
import { InputError } from './failures.ts';

export interface ClassInput {
  machineClass: MachineClass;
  /** `namespace/name`. */
  className: string;
  /** Where it came from, e.g. `class.yaml` or `cluster kind-ci`. */
  origin: string;
  /** MCM's merge of secretRef and credentialsSecretRef; undefined when no Secret was given. */
  secret?: SecretData;
  /** Notes about how the Secret was found (e.g. a Secret used although its name differs). */
  notes: string[];
  /** Why the Secret could not be read (e.g. it does not exist); the class is reported, not the run stopped. */
  secretProblem?: string;
}

/** A Kubernetes Secret object as read from YAML or the API. */
export interface SecretObject {
  metadata?: { name?: string; namespace?: string };
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
}

const base64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

/** `data` (base64) and `stringData` (text, wins like in the API server) as bytes. Names keys, never values. */
export function secretDataOf(secret: SecretObject, where: string): SecretData {
  const out: SecretData = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    if (typeof value !== 'string' || !base64.test(value))
      throw new InputError(`${where}: data.${key} is not base64 (use stringData for plain text)`);
    out[key] = Buffer.from(value, 'base64');
  }
  for (const [key, value] of Object.entries(secret.stringData ?? {})) {
    if (typeof value !== 'string') throw new InputError(`${where}: stringData.${key} must be a string`);
    out[key] = Buffer.from(value, 'utf8');
  }
  return out;
}

export interface SecretRef {
  name?: string | undefined;
  namespace?: string | undefined;
}

/** The Secrets a class references, in MCM's merge order (credentialsSecretRef wins on equal keys). */
export function secretRefsOf(mc: MachineClass): SecretRef[] {
  return [mc.secretRef, mc.credentialsSecretRef].filter(
    (r): r is SecretRef => typeof r === 'object' && r !== null && typeof r.name === 'string' && r.name !== '',
  );
}

export function mergeSecretData(parts: readonly SecretData[]): SecretData {
  return Object.assign({}, ...parts) as SecretData;
}

export function classNameOf(mc: MachineClass, namespace = 'default'): string {
  return `${mc.metadata?.namespace ?? namespace}/${mc.metadata?.name ?? '(unnamed)'}`;
}
