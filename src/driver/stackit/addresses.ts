// Node addresses MCM stores on the Machine (used with --target-kubeconfig=none) from the server's NICs.

import type { Server } from '../../iaas/index.ts';
import type { NodeAddress } from '../types.ts';

export function addressesOf(server: Server): NodeAddress[] {
  const out: NodeAddress[] = [{ type: 'Hostname', address: server.name }];
  for (const nic of server.nics ?? []) {
    if (nic.ipv4) out.push({ type: 'InternalIP', address: nic.ipv4 });
    if (nic.ipv6) out.push({ type: 'InternalIP', address: nic.ipv6 });
    if (nic.publicIp) out.push({ type: 'ExternalIP', address: nic.publicIp });
  }
  return out;
}
