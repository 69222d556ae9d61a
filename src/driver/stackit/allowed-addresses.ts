// allowedAddresses: the pod CIDRs a node may send from. Gardener needs them on every NIC or pod
// traffic is dropped by port security; the API takes them only on NIC updates, after creation.
import type { Server, ServerNic } from '../../iaas/index.ts';

/** NICs that lack at least one wanted address, with the union to write (existing entries stay). */
export function nicsNeedingAllowedAddresses(
  server: Server,
  wanted: readonly string[],
): { nic: ServerNic; allowedAddresses: string[] }[] {
  if (wanted.length === 0) return [];
  const out: { nic: ServerNic; allowedAddresses: string[] }[] = [];
  for (const nic of server.nics ?? []) {
    const have = new Set((nic.allowedAddresses ?? []).map(String));
    const missing = wanted.filter((a) => !have.has(a));
    if (missing.length > 0) out.push({ nic, allowedAddresses: [...have, ...missing] });
  }
  return out;
}
