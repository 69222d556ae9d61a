// InitializeMachine: the post-create step, run by MCM right after CreateMachine succeeds or after
// GetMachineStatus reported Uninitialized. Writes the providerSpec's allowedAddresses to every NIC.
import type { InitializeMachineResponse } from '../../driver/types.ts';
import { toMachineError } from '../../errors.ts';
import type { Server } from '../../iaas/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import { addressesOf } from './addresses.ts';
import { nicsNeedingAllowedAddresses } from './allowed-addresses.ts';
import { findMachineServer, providerIdOf } from './lookup.ts';
import type { MachineContext } from './machine-context.ts';
import { removeStrayServers } from './remove-duplicates.ts';

export async function initializeMachine(mc: MachineContext): Promise<InitializeMachineResponse> {
  const server = await findMachineServer(mc);
  if (!server) throw new MachineError(Code.NotFound, `no server found for machine ${mc.ref.name}`);
  await removeStrayServers(mc, server);
  if (server.status !== 'ACTIVE') {
    throw new MachineError(
      Code.Unavailable,
      `server ${server.name} (${server.id}) is ${server.status}; initialization waits for ACTIVE`,
    );
  }
  const wanted = mc.spec?.allowedAddresses ?? [];
  const updates = nicsNeedingAllowedAddresses(server, wanted);
  let updated: Server = server;
  for (const { nic, allowedAddresses } of updates) {
    try {
      await mc.client.updateNic(nic.networkId, nic.nicId, { allowedAddresses }, mc.call);
    } catch (e) {
      throw toMachineError(e, `setting allowedAddresses on NIC ${nic.nicId} of server ${server.id}`);
    }
    updated = {
      ...updated,
      nics: (updated.nics ?? []).map((n) => (n.nicId === nic.nicId ? { ...n, allowedAddresses } : n)),
    };
  }
  if (updates.length > 0) {
    mc.inventory.upsert(updated);
    mc.log.info({ machine: mc.ref.name, serverId: server.id, nics: updates.length }, 'allowedAddresses set');
  }
  return { providerId: providerIdOf(mc, updated), nodeName: updated.name, addresses: addressesOf(updated) };
}
