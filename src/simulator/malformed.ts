// Deliberately broken success bodies for resilience tests of clients.
import { requiredProperties, responseSchemaName } from './spec.ts';
import type { OperationFault } from './types.ts';

export type MalformedKind = NonNullable<OperationFault['malformedKind']>;

/** Returns the raw body text to send instead of the real one. */
export function malformBody(kind: MalformedKind, operationId: string, status: number, body: unknown): string {
  if (kind === 'invalid-json') {
    const text = JSON.stringify(body) ?? '{}';
    // A truncated document, as a cut connection or a broken proxy would deliver.
    return text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  }
  const copy = structuredClone(body) as Record<string, unknown>;
  if (kind === 'missing-required') {
    const schema = responseSchemaName(operationId, status);
    const required = schema ? requiredProperties(schema) : [];
    // Schemas without required fields (NIC) lose their id instead.
    for (const r of required.length > 0 ? required : ['id']) delete copy[r];
    return JSON.stringify(copy);
  }
  const items = Array.isArray(copy.items) ? (copy.items as Record<string, unknown>[]) : [copy];
  for (const i of items) if (i && typeof i === 'object') i.status = 'SIMULATOR-UNKNOWN-STATUS';
  return JSON.stringify(copy);
}
