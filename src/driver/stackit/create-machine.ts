// CreateMachine: find or create the Machine's server and hand out its ProviderID at once, while it
// still boots. MCM stores the ProviderID and goes on with InitializeMachine / GetMachineStatus, which
// keep the Machine in phase "" (not failed) until the server is ACTIVE and report a server that
// ends in ERROR as a failure (initialize-machine.ts). No worker waits for a boot.

import { toMachineError } from '../../errors.ts';
import type { Server } from '../../iaas/index.ts';
import { Code, MachineError } from '../../mcm/errors.ts';
import type { CreateMachineResponse } from '../types.ts';
import { buildCreatePayload } from './create-payload.ts';
import { type DriverState, recentClassFailure } from './driver-state.ts';
import { goingAway, identityOf, pickServer, serversOfMachine } from './lookup.ts';
import type { ReadyMachineContext } from './machine-context.ts';
import { removeDuplicates } from './remove-duplicates.ts';

export async function createMachine(
  mc: ReadyMachineContext,
  state: DriverState,
): Promise<CreateMachineResponse> {
  // The inventory may be a few seconds old; a create decision needs a list started after this call.
  let candidates = await serversOfMachine(mc);
  if (candidates.filter((s) => !goingAway(s)).length === 0)
    candidates = await serversOfMachine(mc, { fresh: true });
  const { server, duplicates } = pickServer(mc, candidates);
  await removeDuplicates(mc, duplicates);
  const s = server ?? (await createServer(mc, state));
  return identityOf(mc, s);
}

async function createServer(mc: ReadyMachineContext, state: DriverState): Promise<Server> {
  const held = recentClassFailure(state, mc.ref);
  if (held) throw held;
  const payload = buildCreatePayload(mc, mc.spec, mc.settings);
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
        {
          cause: e,
        },
      );
    }
    throw err;
  }
  mc.inventory.upsert(created);
  mc.log.info({ machine: mc.ref.name, serverId: created.id }, 'server created');
  return created;
}
