// InitializeMachine: MCM runs it right after CreateMachine and after every Uninitialized answer of
// GetMachineStatus; an OK keeps the Machine in phase "" and MCM asks GetMachineStatus again in 5 s.
// - server booting: OK, nothing to do (MCM's own passes are the wait; no worker is held);
// - server ACTIVE: write the providerSpec's allowedAddresses to every NIC that lacks them;
// - server in ERROR, gone, or still booting past the creation timeout: the Machine can never run.
//   Answer an error flagged machineFailed: the bridge marks the Machine Failed (lastOperation Create
//   / Failed / this code) and its MachineSet replaces it at once, instead of MCM retrying a dead
//   server every 5 s until the creation timeout. ResourceExhausted for capacity, which is what
//   cluster-autoscaler reads as "out of resources, try another pool".

import { isCapacityMessage, toMachineError } from '../../errors.ts';
import type { Server } from '../../iaas/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import type { InitializeMachineResponse } from '../types.ts';
import { nicsNeedingAllowedAddresses } from './allowed-addresses.ts';
import { type DriverState, recordServerActive, recordServerError } from './driver-state.ts';
import { findMachineServer, goingAway, identityOf, serverIdFromProviderId } from './lookup.ts';
import type { ReadyMachineContext } from './machine-context.ts';
import { removeStrayServers } from './remove-duplicates.ts';

export async function initializeMachine(
  mc: ReadyMachineContext,
  state: DriverState,
): Promise<InitializeMachineResponse> {
  const server = await findMachineServer(mc);
  if (!server || goingAway(server)) {
    // Without a ProviderID the label lookup may just not see a fresh server yet: ask again.
    if (!serverIdFromProviderId(mc))
      throw new MachineError(Code.Unavailable, `no server found for machine ${mc.ref.name} yet`);
    throw new MachineError(
      Code.Internal,
      `the server ${mc.providerId} of machine ${mc.ref.name} was deleted before the machine joined; the machine is replaced`,
      { machineFailed: true },
    );
  }
  await removeStrayServers(mc, server);
  if (server.status === 'ERROR') throw failedServer(mc, state, server);
  if (server.status !== 'ACTIVE') {
    if (mc.creationDeadline !== undefined && Date.now() > mc.creationDeadline) {
      throw new MachineError(
        Code.DeadlineExceeded,
        `server ${server.name} (${server.id}) of machine ${mc.ref.name} is still ${server.status} after the machine's creation timeout; the machine is replaced and its server deleted`,
        { machineFailed: true },
      );
    }
    return identityOf(mc, server);
  }
  recordServerActive(state, mc.ref);
  return identityOf(mc, await setAllowedAddresses(mc, server));
}

function failedServer(mc: ReadyMachineContext, state: DriverState, server: Server): MachineError {
  const reason = server.errorMessage?.trim() || 'no error message from STACKIT';
  const capacity = isCapacityMessage(server.errorMessage);
  const machineType = mc.spec.machineType ?? server.machineType;
  const zone = mc.spec.availabilityZone ?? server.availabilityZone;
  recordServerError(state, mc.ref, { capacity, reason, machineType, zone });
  mc.log.warn({ machine: mc.ref.name, serverId: server.id, capacity }, 'server ended in ERROR');
  const what = `server ${server.name} (${server.id}) of machine ${mc.ref.name} ended in status ERROR: "${reason}"; the machine is replaced and this server deleted with it`;
  if (capacity) {
    return new MachineError(
      Code.ResourceExhausted,
      `${what}. STACKIT has no capacity for machine type ${machineType ?? '?'} in ${zone ?? 'the chosen zone'}: consider another zone or machine type`,
      { machineFailed: true },
    );
  }
  return new MachineError(
    Code.Internal,
    `${what}. Check image, machine type and volumes in the MachineClass`,
    { machineFailed: true },
  );
}

async function setAllowedAddresses(mc: ReadyMachineContext, server: Server): Promise<Server> {
  const updates = nicsNeedingAllowedAddresses(server, mc.spec.allowedAddresses ?? []);
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
  return updated;
}
