// A second live server for one Machine can only come from a crash between a create and its
// bookkeeping; keep one (pickServer) and delete the rest so no VM is paid for twice.

import { toMachineError } from '../../errors.ts';
import type { Server } from '../../iaas/index.ts';
import { Code } from '../../mcm/errors.ts';
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
