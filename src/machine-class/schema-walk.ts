// Reads structure back out of zod schemas, so field docs and unknown-field hints come from the same
// schema that validates.

import { z } from 'zod';

export interface FieldDoc {
  /** Type as an operator reads it, e.g. `string (UUID)`. */
  type: string;
  /** `Yes`, `No`, or a condition. */
  required?: string;
  /** Example value as it would appear in YAML. */
  example?: string;
  default?: string;
}

/** Documentation for each field schema; the description itself lives in `.describe()`. */
export const fieldDocs = z.registry<FieldDoc>();

/** Attaches a description and doc metadata to a field schema. */
export function doc<T extends z.ZodType>(schema: T, description: string, meta: FieldDoc): T {
  const described = schema.describe(description) as T;
  fieldDocs.add(described, meta);
  return described;
}

/** Strips optional/default/nullable/pipe wrappers down to the schema that describes the data. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let cur: z.ZodType = schema;
  for (let i = 0; i < 20; i++) {
    if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault) {
      cur = cur.unwrap() as z.ZodType;
    } else if (cur instanceof z.ZodPipe) {
      // preprocess = pipe(transform, schema): the data schema is the output side; transform = pipe(schema, transform).
      cur = (cur.in instanceof z.ZodTransform ? cur.out : cur.in) as z.ZodType;
    } else break;
  }
  return cur;
}

/** The object shape a field schema holds, if it is (a wrapper around) an object. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const inner = unwrap(schema);
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/** The field names allowed at `path` (object keys only; numbers and map keys end the walk). */
export function knownKeysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let shape = objectShape(root);
  for (const seg of path) {
    if (!shape || typeof seg !== 'string') return undefined;
    const next = shape[seg];
    if (!next) return undefined;
    shape = objectShape(next);
  }
  return shape ? Object.keys(shape) : undefined;
}

/** The closest known name to a misspelt one, if it is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.min(3, Math.max(1, Math.floor(name.length / 3))) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
