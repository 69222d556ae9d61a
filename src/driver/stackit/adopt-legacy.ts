// Servers created by the existing Go provider (stackitcloud/machine-controller-manager-provider-stackit)
// carry its machine and class labels but not our namespace label, so nothing on them tells which
// cluster they belong to. A Machine of this namespace whose ProviderID names one proves it ours:
// adopting it adds our labels (UpdateServer), after which ListMachines lists it and orphan
// collection covers it like a server we created. Adoption happens in ListMachines (every orphan
// period, for every Machine) and in GetMachineStatus (a Machine still being created).

import type { IaasClient, Server } from '../../iaas/index.ts';
import { labelValueFor } from '../../machine-class/names.ts';
import {
  goProviderLabelGenerations,
  type MachineRef,
  machineNameMetadataKey,
  namespaceLabelKey,
  serverLabels,
} from '../../machine-class/server-identity.ts';
import type { Logger } from '../../util/log.ts';
import type { CallOptions, ServerInventory } from './inventory.ts';
import { serverIdFromProviderId } from './lookup.ts';
import type { MachineContext } from './machine-context.ts';

/** True when a machine label of any generation names this Machine. */
function labelledFor(server: Server, machineName: string): boolean {
  const value = labelValueFor(machineName);
  return goProviderLabelGenerations.some((g) => server.labels?.[g.machine] === value);
}

export interface AdoptionTarget {
  client: IaasClient;
  inventory: ServerInventory;
  call: CallOptions;
  log: Logger;
}

/**
 * Adds our labels (machine, class, namespace; the Go provider's stay) to a server whose ownership
 * the caller has proven. Undefined when the update failed (logged): the next pass tries again.
 */
export async function adoptServer(
  t: AdoptionTarget,
  server: Server,
  ref: MachineRef,
  via: 'ListMachines' | 'GetMachineStatus',
): Promise<Server | undefined> {
  const labels = serverLabels(ref, (server.labels ?? {}) as Record<string, string>);
  // A name longer than a label value is found by its metadata (machineNameOf): without it, orphan
  // collection would look for a Machine named like the shortened label and delete the server.
  const metadata =
    labelValueFor(ref.name) === ref.name
      ? undefined
      : { ...(server.metadata ?? {}), [machineNameMetadataKey]: ref.name };
  try {
    await t.client.updateServer(server.id, { labels, ...(metadata ? { metadata } : {}) }, t.call);
  } catch (e) {
    t.log.warn(
      { machine: ref.name, serverId: server.id, err: (e as Error).message },
      'could not label a server created by the Go provider; the next pass tries again',
    );
    return undefined;
  }
  const adopted = { ...server, labels, ...(metadata ? { metadata } : {}) };
  t.inventory.upsert(adopted);
  t.log.info({ machine: ref.name, serverId: server.id, via }, 'adopted server created by the Go provider');
  return adopted;
}

/**
 * GetMachineStatus: adopts the Machine's server only once its ProviderID names it. A server found
 * by its machine label alone (no ProviderID yet) is used but not labelled: another cluster's Machine
 * of the same name would carry the same labels.
 */
export async function adoptIfLegacy(mc: MachineContext, server: Server): Promise<Server> {
  if (server.labels?.[namespaceLabelKey] !== undefined) return server;
  if (serverIdFromProviderId(mc) !== server.id.toLowerCase() || !labelledFor(server, mc.ref.name))
    return server;
  return (await adoptServer(mc, server, mc.ref, 'GetMachineStatus')) ?? server;
}
