// A second live server for one Machine comes from a crash between a create and its bookkeeping, or
// from two controllers acting at once; keep one and delete the rest so no VM is paid for twice.

import { toMachineError } from '../../errors.ts';
import type { Server } from '../../iaas/index.ts';
import { ownedByNamespace } from '../../machine-class/server-identity.ts';
import { Code } from '../../mcm/errors.ts';
import { goingAway, serverIdFromProviderId, serversOfMachine } from './lookup.ts';
import type { MachineContext } from './machine-context.ts';

export async function removeDuplicates(mc: MachineContext, duplicates: Server[]): Promise<void> {
  for (const dup of duplicates) {
    mc.log.warn({ machine: mc.ref.name, serverId: dup.id }, 'deleting duplicate server of machine');
    try {
      await mc.client.deleteServer(dup.id, mc.call);
    } catch (e) {
      const err = toMachineError(e, `deleting duplicate server ${dup.id} of machine ${mc.ref.name}`);
      if (err.code !== Code.NotFound) throw err;
    }
    mc.inventory.markDeleting(dup);
  }
}

/**
 * Once the Machine has a ProviderID, its server is settled: another live server with this
 * namespace's labels for the same Machine is a duplicate, e.g. from two controllers acting at once
 * (replicas sharing a hostname are both leaders, docs/operations.md). MCM sends a ProviderID to
 * InitializeMachine and to GetMachineStatus in the rest of its creation flow, so such a duplicate
 * goes within seconds instead of after the orphan period; one appearing later is left to orphan
 * collection. Best effort: a failed delete is tried again on the next call.
 */
export async function removeStrayServers(mc: MachineContext, server: Server): Promise<void> {
  if (serverIdFromProviderId(mc) !== server.id || goingAway(server)) return;
  const strays = (await serversOfMachine(mc)).filter(
    (s) => s.id !== server.id && !goingAway(s) && ownedByNamespace(s, mc.ref.namespace),
  );
  if (strays.length === 0) return;
  try {
    await removeDuplicates(mc, strays);
  } catch (e) {
    mc.log.warn(
      { machine: mc.ref.name, err: e instanceof Error ? e.message : String(e) },
      'could not delete a duplicate server yet; will retry on the next call',
    );
  }
}
