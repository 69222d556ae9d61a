// DeleteMachine: OK only once the server is gone (404 / absent from a later list). The call waits
// for that itself, within a bound (deleteWaitMs, under the call's deadline), reading the class's
// shared inventory so the wait costs no API calls per Machine: an Unavailable answer would be
// written by MCM as lastOperation State Failed (deleteVM), which puts the Machine among its
// MachineSet's failedMachines, and Gardener fails the Worker on any of those. The wait holds one of
// MCM's termination workers only (a pool of its own, separate from creation's). A server still
// DELETING after the bound gets Unavailable, so MCM asks again in 5 s. With a ProviderID exactly that
// server is deleted (the safety controller passes only name and ProviderID of an orphan, and a label
// lookup could hit the legitimate server of a Machine with the same name); without one, every server
// labelled for this Machine is.
// Orphan collection is the exception: it calls once per sync and logs any error as a failed delete,
// so its stand-in Machine gets OK once the deletion is accepted; a server that lingers is listed,
// and deleted again, on the next sync.

import { toMachineError } from '../../errors.ts';
import type { Server } from '../../iaas/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import type { DeleteMachineResponse } from '../types.ts';
import type { DriverState } from './driver-state.ts';
import { serverById, serverIdFromProviderId, serversOfMachine } from './lookup.ts';
import type { MachineContext } from './machine-context.ts';
import { parseProviderId } from './provider-id.ts';

export async function deleteMachine(mc: MachineContext, state: DriverState): Promise<DeleteMachineResponse> {
  const targets = await targetsOf(mc, state);
  const pending: Server[] = [];
  for (const server of targets) {
    if (server.status === 'DELETING' || server.status === 'DELETED') {
      pending.push(server);
      continue;
    }
    try {
      await mc.client.deleteServer(server.id, mc.call);
    } catch (e) {
      const err = toMachineError(
        e,
        `deleting server ${server.name} (${server.id}) of machine ${mc.ref.name}`,
      );
      if (err.code === Code.NotFound) continue;
      throw err;
    }
    state.deleteRequestedAt.set(server.id, Date.now());
    mc.inventory.markDeleting(server);
    mc.log.info({ machine: mc.ref.name, serverId: server.id }, 'server deletion requested');
    pending.push(server);
  }
  if (pending.length > 0 && mc.orphanStandIn) {
    mc.log.info(
      { machine: mc.ref.name, serverIds: pending.map((s) => s.id) },
      'orphan server deletion under way',
    );
    return {};
  }
  if (pending.length > 0 && (await waitGone(mc, state, pending))) return {};
  if (pending.length > 0) {
    throw new MachineError(
      Code.Unavailable,
      `server ${pending.map((s) => `${s.name} (${s.id})`).join(', ')} is being deleted; waiting until it is gone`,
    );
  }
  return {};
}

async function targetsOf(mc: MachineContext, state: DriverState): Promise<Server[]> {
  if (mc.providerId) {
    const id = serverIdFromProviderId(mc);
    if (!id) {
      const parsed = parseProviderId(mc.providerId);
      throw new MachineError(
        parsed ? Code.FailedPrecondition : Code.InvalidArgument,
        parsed
          ? `ProviderID ${mc.providerId} names project ${parsed.projectId}, but the Secret is for project ${mc.projectId}: the server cannot be deleted with these credentials`
          : `ProviderID ${mc.providerId} is not a STACKIT ProviderID (stackit://<projectId>/<serverId>)`,
      );
    }
    const server = await serverStillThere(mc, state, id);
    return server ? [server] : [];
  }
  // No ProviderID: the create never finished from MCM's view; find what it may have made.
  return serversOfMachine(mc, { fresh: true });
}

/** Polls the shared inventory until every pending server is gone or the wait's bound is reached. */
async function waitGone(mc: MachineContext, state: DriverState, pending: Server[]): Promise<boolean> {
  const until = Math.min(Date.now() + state.deleteWaitMs, (mc.call.deadline ?? Date.now()) - 5_000);
  let left = pending;
  while (Date.now() + 1_000 <= until && !mc.call.signal?.aborted) {
    await new Promise((r) => setTimeout(r, 1_000));
    const still: Server[] = [];
    for (const s of left) {
      const now = await serverStillThere(mc, state, s.id);
      if (now) still.push(now);
    }
    left = still;
    if (left.length === 0) return true;
  }
  return false;
}

/** Uses the shared inventory when it proves the server gone; otherwise asks STACKIT once. */
async function serverStillThere(
  mc: MachineContext,
  state: DriverState,
  id: string,
): Promise<Server | undefined> {
  const requestedAt = state.deleteRequestedAt.get(id);
  if (requestedAt !== undefined) {
    const snap = await mc.inventory.snapshot(mc.call);
    const known = snap.servers.get(id);
    if (known) return known;
    if (snap.listedAt > requestedAt) {
      state.deleteRequestedAt.delete(id);
      return undefined;
    }
  }
  const server = await serverById(mc, id).catch((e: unknown) => {
    throw toMachineError(e, `looking up server ${id} of machine ${mc.ref.name}`);
  });
  if (!server) state.deleteRequestedAt.delete(id);
  return server;
}
