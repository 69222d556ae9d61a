// CreateMachine, in bounded steps: each call finds or creates the Machine's server and returns at
// once. MCM calls again 5 s later (Unavailable) until the server is ACTIVE; only then does it get a
// ProviderID, because MCM never changes a ProviderID once stored (machine.go updateLabels). That is
// what lets a server that ended in ERROR be replaced under the same Machine well before the creation
// timeout, instead of the Machine waiting 20 minutes to fail.
import type { CreateMachineResponse } from '../../driver/types.ts';
import { isCapacityMessage, toMachineError } from '../../errors.ts';
import type { Server } from '../../iaas/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import { addressesOf } from './addresses.ts';
import { buildCreatePayload } from './create-payload.ts';
import type { DriverState } from './driver-state.ts';
import { goingAway, pickServer, providerIdOf, serversOfMachine } from './lookup.ts';
import type { MachineContext } from './machine-context.ts';
import { removeDuplicates } from './remove-duplicates.ts';

export async function createMachine(mc: MachineContext, state: DriverState): Promise<CreateMachineResponse> {
  const spec = mc.spec!;
  // The inventory may be a few seconds old; a create decision needs a list started after this call.
  let candidates = await serversOfMachine(mc);
  if (candidates.filter((s) => !goingAway(s)).length === 0)
    candidates = await serversOfMachine(mc, { fresh: true });
  const { server, duplicates } = pickServer(mc, candidates);
  await removeDuplicates(mc, duplicates);

  if (!server) {
    const payload = buildCreatePayload(mc, spec, mc.settings!);
    let created: Server;
    try {
      created = await mc.client.createServer(payload, mc.call);
    } catch (e) {
      // A failed POST may still have created the server: the next call's fresh lookup finds it.
      const err = toMachineError(e, `creating server ${payload.name} for machine ${mc.ref.name}`);
      // A 404 on create means something the class references (image, network, volume...) is missing.
      if (err.code === Code.NotFound) {
        throw new MachineError(
          Code.InvalidArgument,
          `${err.message}: check the IDs the MachineClass references`,
          { cause: e },
        );
      }
      throw err;
    }
    mc.inventory.upsert(created);
    mc.log.info({ machine: mc.ref.name, serverId: created.id }, 'server created');
    throw new MachineError(
      Code.Unavailable,
      `server ${created.name} (${created.id}) created, status ${created.status}; waiting for it to become ACTIVE`,
    );
  }
  return fromExisting(mc, state, server);
}

async function fromExisting(
  mc: MachineContext,
  state: DriverState,
  server: Server,
): Promise<CreateMachineResponse> {
  if (server.status === 'ACTIVE') {
    state.errorStreak.delete(mc.ref.name);
    return { providerId: providerIdOf(mc, server), nodeName: server.name, addresses: addressesOf(server) };
  }
  if (server.status === 'ERROR') return replaceBroken(mc, state, server);
  throw new MachineError(
    Code.Unavailable,
    `server ${server.name} (${server.id}) is ${server.status}; waiting for it to become ACTIVE`,
  );
}

/**
 * A server in ERROR never recovers by itself. Delete it and let the next call create a fresh one:
 * at once the first time (5 s), with MCM's longer backoff when it keeps happening, and after
 * --resource-exhausted-retry when STACKIT had no capacity.
 */
async function replaceBroken(mc: MachineContext, state: DriverState, server: Server): Promise<never> {
  const reason = server.errorMessage?.trim() || 'no error message from STACKIT';
  try {
    await mc.client.deleteServer(server.id, mc.call);
  } catch (e) {
    const err = toMachineError(e, `deleting server ${server.name} (${server.id}) that is in ERROR`);
    if (err.code !== Code.NotFound) throw err;
  }
  mc.inventory.markDeleting(server);
  const streak = (state.errorStreak.get(mc.ref.name) ?? 0) + 1;
  state.errorStreak.set(mc.ref.name, streak);
  mc.log.warn(
    { machine: mc.ref.name, serverId: server.id, streak },
    'server in ERROR deleted for replacement',
  );
  const what = `server ${server.name} (${server.id}) failed with status ERROR: "${reason}"; deleted it, a new server will be created`;
  if (isCapacityMessage(server.errorMessage)) {
    throw new MachineError(
      Code.ResourceExhausted,
      `${what} after MCM's resource-exhausted backoff. STACKIT has no capacity for machine type ${mc.spec?.machineType ?? '?'} in ${mc.spec?.availabilityZone ?? 'the chosen zone'}: consider another zone or machine type`,
    );
  }
  if (streak >= 3) {
    throw new MachineError(
      Code.Internal,
      `${what} after a backoff (${streak} servers in a row ended in ERROR; check image, machine type and volumes in the MachineClass)`,
    );
  }
  throw new MachineError(Code.Unavailable, `${what} on the next attempt`);
}
