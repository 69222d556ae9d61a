// GetMachineStatus: MCM asks it first on every pass of the creation flow, and in the deletion flow
// for the node name. Answers:
// - NotFound when the Machine has no server (MCM then calls CreateMachine if it has no ProviderID);
// - OK with identity and addresses once the server is ACTIVE and initialized (phase Pending next);
// - Uninitialized with identity while the server boots, lacks its allowedAddresses, ended in ERROR
//   or disappeared: MCM takes ProviderID and NodeName from it (also when its own ProviderID write
//   failed) and calls InitializeMachine, which waits without a failure or reports the failure.
//   A booting Machine never gets an error here: that would be a Failed lastOperation
//   (machineCreateErrorHandler), phase CrashLoopBackOff, and failedMachines in Gardener.
// - For a Machine being deleted, OK with the identity whenever a server exists: MCM's getNodeName
//   discards the response on any error, and then skips the drain and leaves the Node behind.

import type { Server } from '../../iaas/index.ts';
import { serverNameFor } from '../../machine-class/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import type { GetMachineStatusResponse } from '../types.ts';
import { adoptIfLegacy } from './adopt-legacy.ts';
import { nicsNeedingAllowedAddresses } from './allowed-addresses.ts';
import { findMachineServer, goingAway, identityOf, serverIdFromProviderId } from './lookup.ts';
import type { MachineContext } from './machine-context.ts';
import { removeStrayServers } from './remove-duplicates.ts';

export async function getMachineStatus(mc: MachineContext): Promise<GetMachineStatusResponse> {
  const found = await findMachineServer(mc);
  if (!found || (goingAway(found) && !serverIdFromProviderId(mc))) {
    if (!mc.deleting && serverIdFromProviderId(mc)) throw gone(mc);
    throw new MachineError(Code.NotFound, `no server found for machine ${mc.ref.name}`);
  }
  if (mc.deleting) return identityOf(mc, found);
  if (goingAway(found)) throw gone(mc);
  await removeStrayServers(mc, found);
  const server = await adoptIfLegacy(mc, found);
  const identity = identityOf(mc, server);
  const waiting = whyNotReady(mc, server);
  if (waiting) throw new MachineError(Code.Uninitialized, waiting, { partial: identity });
  return identity;
}

/** ServerStatus in api/stackit-iaas/iaas-v2.json ("Possible values: ..."). */
const KNOWN_STATUSES = new Set(
  'ACTIVE BACKING-UP CREATING DEALLOCATED DEALLOCATING DELETED DELETING ERROR INACTIVE MIGRATING PAUSED REBOOT REBOOTING REBUILD REBUILDING RESCUE RESCUING RESIZING RESTORING SNAPSHOTTING STARTING STOPPING UNRESCUING UPDATING'.split(
    ' ',
  ),
);

/** What InitializeMachine still has to wait for or report; undefined when the server is ready. */
function whyNotReady(mc: MachineContext, server: Server): string | undefined {
  const it = `server ${server.name} (${server.id}) of machine ${mc.ref.name}`;
  if (server.status === 'ERROR') return `${it} ended in status ERROR`;
  if (server.status !== 'ACTIVE') {
    // The spec's status is a string whose values are listed in prose: an unknown one is named as
    // such, and waited on like a transition (the creation timeout bounds the wait).
    const unknown = KNOWN_STATUSES.has(server.status)
      ? ''
      : ` (a status the STACKIT IaaS API does not define; treated as not ready)`;
    return `${it} is ${server.status}${unknown}; waiting for it to become ACTIVE`;
  }
  const wanted = mc.spec?.allowedAddresses ?? [];
  if (nicsNeedingAllowedAddresses(server, wanted).length > 0)
    return `${it} lacks the allowedAddresses ${wanted.join(', ')} on its NICs`;
  return undefined;
}

/**
 * The server MCM's ProviderID names is gone while the Machine is still being created (deleted
 * outside MCM). Uninitialized carries the ProviderID so that InitializeMachine reports it as a
 * failure; NotFound would move the Machine to Pending, waiting for a Node until the creation timeout.
 */
function gone(mc: MachineContext): MachineError {
  return new MachineError(
    Code.Uninitialized,
    `the server ${mc.providerId} of machine ${mc.ref.name} no longer exists`,
    { partial: { providerId: mc.providerId, nodeName: serverNameFor(mc.ref.name) } },
  );
}
