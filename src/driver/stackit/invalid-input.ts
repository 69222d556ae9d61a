// The error for a MachineClass or Secret that does not validate, naming the object to fix: the
// class (namespace/name) for providerSpec problems, the referenced Secret(s) for Secret problems.
// MCM merges secretRef and credentialsSecretRef into one Secret and passes an empty one for a
// reference to a Secret that does not exist, so "missing or empty" is said when nothing is there.
import { type FieldError, formatFieldErrors, secretKeyDocs } from '../../machine-class/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import type { MachineClass, SecretData } from '../types.ts';
import { PER_MACHINE_SECRET_KEY } from './parse-cache.ts';

type Ref = { name?: string; namespace?: string } | undefined;

/** `credentialsSecretRef garden/a and secretRef garden/b`, as far as the class names them. */
export function secretRefsOf(machineClass: MachineClass): string {
  const show = (kind: string, r: Ref) =>
    r?.name ? [`${kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`] : [];
  const refs = [
    ...show('credentialsSecretRef', machineClass.credentialsSecretRef as Ref),
    ...show('secretRef', machineClass.secretRef as Ref),
  ];
  return refs.length > 0 ? refs.join(' and ') : 'no secretRef or credentialsSecretRef';
}

export function classNameOf(machineClass: MachineClass): string {
  const m = machineClass.metadata;
  return m?.namespace ? `${m.namespace}/${m.name ?? ''}` : (m?.name ?? '');
}

const plural = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;
const credentialKeys = secretKeyDocs.flatMap((d) =>
  d.key === 'projectId' || d.key === 'serviceAccountKey' || d.key === 'accessToken'
    ? [d.key, ...d.aliases]
    : [],
);

export function invalidInput(
  machineClass: MachineClass,
  secret: SecretData,
  errors: FieldError[],
): MachineError {
  const secretErrors = errors.filter((e) => e.path === 'secret' || e.path.startsWith('secret.'));
  const classErrors = errors.filter((e) => !secretErrors.includes(e));
  const parts: string[] = [];
  if (classErrors.length > 0)
    parts.push(
      `machine class ${classNameOf(machineClass)} is invalid (${plural(classErrors.length)}): ${formatFieldErrors(classErrors)}`,
    );
  if (secretErrors.length > 0) {
    const keys = Object.keys(secret ?? {}).filter((k) => k !== PER_MACHINE_SECRET_KEY);
    const where = `the Secret of machine class ${classNameOf(machineClass)} (${secretRefsOf(machineClass)})`;
    if (!keys.some((k) => credentialKeys.includes(k)))
      parts.push(
        `${where} is missing or empty: it has none of the keys ${credentialKeys.join(', ')}` +
          (keys.length > 0 ? ` (it has: ${keys.sort().join(', ')})` : ' (it has no keys)'),
      );
    else
      parts.push(`${where} is invalid (${plural(secretErrors.length)}): ${formatFieldErrors(secretErrors)}`);
  }
  return new MachineError(Code.InvalidArgument, parts.join('; '));
}
