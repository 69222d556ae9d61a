// MachineClasses and Secrets from YAML or JSON files: several documents per file, `kind: List`
// (kubectl get -o yaml) or single objects. Parse errors name file, line and column, never the text
// around them: the file may be a Secret.
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import type { MachineClass } from '../driver/types.ts';
import {
  type ClassInput,
  classNameOf,
  mergeSecretData,
  type SecretObject,
  secretDataOf,
  secretRefsOf,
} from './class-input.ts';
import { InputError } from './failures.ts';

interface Loaded {
  object: Record<string, unknown>;
  file: string;
}

export interface FileSources {
  /** Files with MachineClasses (and possibly Secrets); `-` reads stdin. */
  files: readonly string[];
  /** Files with Secrets only. */
  secretFiles: readonly string[];
  /** Check only this class. */
  name?: string | undefined;
  /** Namespace for objects that have none. */
  namespace?: string | undefined;
  readStdin?: () => string;
}

export function loadFromFiles(src: FileSources): ClassInput[] {
  const fromClassFiles = src.files.flatMap((f) => readObjects(f, src.readStdin));
  const fromSecretFiles = src.secretFiles.flatMap((f) => readObjects(f, src.readStdin));
  const ns = src.namespace ?? 'default';
  const nsOf = (o: { metadata?: { namespace?: string } }) => o.metadata?.namespace ?? ns;

  const classes = fromClassFiles.filter((l) => l.object.kind === 'MachineClass');
  const secrets = [...fromClassFiles, ...fromSecretFiles].filter((l) => l.object.kind === 'Secret');
  for (const l of fromSecretFiles) {
    if (l.object.kind !== 'Secret')
      throw new InputError(`${l.file}: --secret files hold Secrets, found kind ${String(l.object.kind)}`);
  }
  if (classes.length === 0)
    throw new InputError(`no MachineClass in ${src.files.join(', ')} (kind: MachineClass expected)`);
  const chosen = src.name
    ? classes.filter((l) => (l.object as unknown as MachineClass).metadata?.name === src.name)
    : classes;
  if (chosen.length === 0) {
    const names = classes.map((l) => (l.object as unknown as MachineClass).metadata?.name ?? '(unnamed)');
    throw new InputError(`no MachineClass named ${src.name}; the files hold: ${names.join(', ')}`);
  }

  return chosen.map(({ object, file }) => {
    const mc = object as unknown as MachineClass;
    const className = classNameOf(mc, ns);
    const notes: string[] = [];
    const refs = secretRefsOf(mc);
    const secretOf = (l: Loaded) => l.object as SecretObject;
    const where = (l: Loaded) => `${l.file}: Secret ${nsOf(secretOf(l))}/${secretOf(l).metadata?.name ?? ''}`;
    const parts: Loaded[] = [];
    const missing: string[] = [];
    for (const ref of refs) {
      const found = secrets.find((s) => matches(secretOf(s), ref, nsOf(mc)));
      if (found) parts.push(found);
      else missing.push(`${ref.namespace ?? nsOf(mc)}/${ref.name}`);
    }
    if (parts.length === 0 && secrets.length === 1) {
      // A hand-written pair: one Secret given, use it whatever the refs say.
      parts.push(secrets[0]!);
      if (missing.length > 0)
        notes.push(`using ${where(secrets[0]!)}, although the class references ${missing.join(' and ')}`);
    } else if (parts.length === 0 && secrets.length > 1) {
      throw new InputError(
        `MachineClass ${className}: none of the given Secrets is the one it references (${missing.join(', ') || 'no secretRef'})`,
      );
    } else if (parts.length > 0 && missing.length > 0) {
      notes.push(`Secret ${missing.join(' and ')} is in none of the given files; checked without it`);
    }
    const input: ClassInput = { machineClass: mc, className, origin: file, notes };
    if (parts.length > 0)
      input.secret = mergeSecretData(parts.map((p) => secretDataOf(secretOf(p), where(p))));
    return input;
  });
}

function matches(
  s: SecretObject,
  ref: { name?: string | undefined; namespace?: string | undefined },
  ns: string,
) {
  return s.metadata?.name === ref.name && (s.metadata?.namespace ?? ns) === (ref.namespace ?? ns);
}

function readObjects(file: string, readStdin?: () => string): Loaded[] {
  let text: string;
  try {
    text = file === '-' ? (readStdin ?? (() => readFileSync(0, 'utf8')))() : readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: cannot read (${code ?? 'error'})`);
  }
  const docs = YAML.parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new InputError(`${file}: no YAML documents`);
  const out: Loaded[] = [];
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) {
      const pos = err.linePos?.[0];
      // The first line only: later lines quote the file, which may hold a key.
      const what = err.message
        .split('\n')[0]!
        .replace(/ at line \d+, column \d+:?$/, '')
        .replace(/:$/, '');
      throw new InputError(`${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${what}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    for (const item of flatten(value)) {
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        throw new InputError(`${file}: expected Kubernetes objects (MachineClass, Secret or List)`);
      out.push({ object: item as Record<string, unknown>, file });
    }
  }
  return out;
}

function flatten(value: unknown): unknown[] {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if (typeof o.kind === 'string' && o.kind.endsWith('List') && Array.isArray(o.items))
      return o.items.flatMap(flatten);
  }
  if (Array.isArray(value)) return value.flatMap(flatten);
  return [value];
}
