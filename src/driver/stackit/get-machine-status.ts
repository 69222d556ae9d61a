// GetMachineStatus: OK with addresses when the Machine's server exists; NotFound when it does not.
// While MCM has no ProviderID yet, a server that is not ACTIVE is reported NotFound so MCM goes on
// calling CreateMachine, which owns waiting for ACTIVE and replacing ERROR servers (create-machine.ts).
// Uninitialized asks MCM to call InitializeMachine: the NICs lack the wanted allowedAddresses.
import type { GetMachineStatusResponse } from '../../driver/types.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import { addressesOf } from './addresses.ts';
import { adoptIfLegacy } from './adopt-legacy.ts';
import { nicsNeedingAllowedAddresses } from './allowed-addresses.ts';
import { findMachineServer, providerIdOf } from './lookup.ts';
import type { MachineContext } from './machine-context.ts';
import { removeStrayServers } from './remove-duplicates.ts';

export async function getMachineStatus(mc: MachineContext): Promise<GetMachineStatusResponse> {
  const found = await findMachineServer(mc);
  if (!found) {
    throw new MachineError(Code.NotFound, `no server found for machine ${mc.ref.name}`);
  }
  await removeStrayServers(mc, found);
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
