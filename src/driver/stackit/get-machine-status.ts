// GetMachineStatus: OK with addresses when the Machine's server exists; NotFound when it does not.
// While MCM has no ProviderID yet, a server that is not ACTIVE is reported NotFound so MCM goes on
// calling CreateMachine, which owns waiting for ACTIVE and replacing ERROR servers (create-machine.ts).
// Uninitialized asks MCM to call InitializeMachine: the NICs lack the wanted allowedAddresses.
import type { GetMachineStatusResponse } from '../../driver/types.ts';
import type { Server } from '../../iaas/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import { addressesOf } from './addresses.ts';
import { adoptIfLegacy } from './adopt-legacy.ts';
import { nicsNeedingAllowedAddresses } from './allowed-addresses.ts';
import {
  goingAway,
  pickServer,
  providerIdOf,
  serverById,
  serverIdFromProviderId,
  serversOfMachine,
} from './lookup.ts';
import type { MachineContext } from './machine-context.ts';
import { removeDuplicates } from './remove-duplicates.ts';
import { ownedByNamespace } from './server-identity.ts';

export async function findMachineServer(mc: MachineContext): Promise<Server | undefined> {
  const id = serverIdFromProviderId(mc);
  if (!id) return pickServer(mc, await serversOfMachine(mc)).server;
  const server = await serverById(mc, id);
  if (server && !goingAway(server)) await removeStrayServers(mc, server);
  return server;
}

/**
 * Once the Machine has a ProviderID, its server is settled: another live server with this
 * namespace's labels for the same Machine is a duplicate, e.g. from two controllers acting at once
 * (replicas sharing a hostname are both leaders, docs/operations.md). MCM sends a ProviderID here
 * in InitializeMachine and in the rest of its creation flow, so such a duplicate goes within seconds
 * instead of after the orphan period; one appearing later is left to orphan collection. Best effort:
 * a failed delete is tried again on the next call.
 */
async function removeStrayServers(mc: MachineContext, server: Server): Promise<void> {
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

export async function getMachineStatus(mc: MachineContext): Promise<GetMachineStatusResponse> {
  const found = await findMachineServer(mc);
  if (!found) {
    throw new MachineError(Code.NotFound, `no server found for machine ${mc.ref.name}`);
  }
  const server = await adoptIfLegacy(mc, found);
  if (!mc.providerId && server.status !== 'ACTIVE') {
    throw new MachineError(
      Code.NotFound,
      `server ${server.name} (${server.id}) of machine ${mc.ref.name} is ${server.status}, not ACTIVE yet`,
    );
  }
  const identity = {
    providerId: providerIdOf(mc, server),
    nodeName: server.name,
    addresses: addressesOf(server),
  };
  if (
    server.status === 'ACTIVE' &&
    nicsNeedingAllowedAddresses(server, mc.spec?.allowedAddresses ?? []).length > 0
  ) {
    throw new MachineError(
      Code.Uninitialized,
      `server ${server.name} (${server.id}) lacks the allowedAddresses ${(mc.spec?.allowedAddresses ?? []).join(', ')} on its NICs`,
      { partial: identity },
    );
  }
  return identity;
}
