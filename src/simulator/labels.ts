// Labels, metadata and label selectors. The spec's key regex forbids '/', but STACKIT servers carry
// `kubernetes.io/...` keys in production, so keys may contain '/' here; the 63-character limits
// stay.
import { specMap } from './types.ts';

const LABEL_KEY = /^(?=.{1,63}$)([A-Za-z0-9][-A-Za-z0-9_./]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(?=.{0,63}$)(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])*$/;
const METADATA_KEY = /^[a-zA-Z0-9-_:. ]{1,255}$/;

export type Labels = Record<string, string>;

/** Returns the problem with a labels object, or undefined. `allowNull` is for PATCH (null removes). */
export function labelsProblem(field: string, labels: unknown, allowNull: boolean): string | undefined {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    return `${field}: value must be an object`;
  }
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_KEY.test(k)) {
      return `${field}: invalid label key "${k}" (1-63 characters, letters, digits, '-', '_', '.', '/', starting and ending alphanumeric)`;
    }
    if (k.startsWith('stackit-')) return `${field}: label key "${k}" uses the reserved prefix "stackit-"`;
    if (v === null && allowNull) continue;
    if (typeof v !== 'string') return `${field}.${k}: label value must be a string`;
    if (!LABEL_VALUE.test(v)) {
      return `${field}.${k}: invalid label value (0-63 characters, letters, digits, '-', '_', '.', starting and ending alphanumeric)`;
    }
  }
  return undefined;
}

export function metadataProblem(field: string, metadata: unknown, allowNull: boolean): string | undefined {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    return `${field}: value must be an object`;
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(k)) return `${field}: invalid metadata key "${k}"`;
    if (v === null && allowNull) continue;
    if (v === null || typeof v === 'object')
      return `${field}.${k}: metadata value must be a string, number or boolean`;
    if (String(v).length > 255) return `${field}.${k}: maximum metadata value length is 255`;
  }
  return undefined;
}

/** Applies a PATCH: given keys are set, null values remove the key. */
export function mergeMap<T>(current: Record<string, T>, patch: Record<string, T | null>): Record<string, T> {
  const out = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

/** The labels a create call gives, copied. */
export const newLabels = (given: unknown): Record<string, never> =>
  specMap({ ...((given as Record<string, string> | undefined) ?? {}) });

/** The labels after an update: a null value removes the key. */
export const patchedLabels = (current: unknown, patch: unknown): Record<string, never> =>
  specMap(mergeMap((current ?? {}) as Record<string, string>, patch as Record<string, string | null>));

export type SelectorTerm = { key: string; op: 'exists' | 'eq' | 'neq'; value?: string };

/**
 * Parses `k=v,k2=v2,k3,k4!=v4` (AND of all terms). Returns an error message for empty terms or
 * keys. Values are taken verbatim; there is no escaping.
 */
export function parseLabelSelector(selector: string): SelectorTerm[] | string {
  const terms: SelectorTerm[] = [];
  for (const raw of selector.split(',')) {
    const part = raw.trim();
    if (part === '') return 'label_selector: empty term';
    const neq = part.indexOf('!=');
    const eq = part.indexOf('=');
    if (neq > 0 && neq < eq) {
      terms.push({ key: part.slice(0, neq).trim(), op: 'neq', value: part.slice(neq + 2).trim() });
    } else if (eq > 0) {
      terms.push({
        key: part.slice(0, eq).trim(),
        op: 'eq',
        value: part
          .slice(eq + 1)
          .replace(/^=/, '')
          .trim(),
      });
    } else if (eq === 0 || neq === 0) {
      return `label_selector: term "${part}" has no key`;
    } else {
      terms.push({ key: part, op: 'exists' });
    }
  }
  return terms;
}

export function matchesSelector(labels: Labels | undefined, terms: SelectorTerm[]): boolean {
  const l = labels ?? {};
  return terms.every((t) => {
    const has = Object.hasOwn(l, t.key);
    if (t.op === 'exists') return has;
    if (t.op === 'eq') return has && l[t.key] === t.value;
    return !has || l[t.key] !== t.value;
  });
}
