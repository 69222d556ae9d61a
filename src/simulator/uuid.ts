// Ids the way STACKIT shapes them: lowercase, 36-character UUIDs (the Go SDK rejects anything else
// before sending a request).
import { createHash, randomUUID } from 'node:crypto';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const isUuid = (s: string): boolean => UUID_RE.test(s);

export const newUuid = (): string => randomUUID();

/** A stable MAC in OpenStack's fa:16:3e range, derived from the NIC id. */
export function macFor(nicId: string): string {
  const h = createHash('sha256').update(nicId).digest();
  return ['fa', '16', '3e', ...[h[0], h[1], h[2]].map((b) => (b ?? 0).toString(16).padStart(2, '0'))].join(
    ':',
  );
}
