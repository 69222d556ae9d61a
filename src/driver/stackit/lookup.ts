// Finding the server(s) of a Machine: by ProviderID when MCM has one, otherwise by the machine label.

import type { Server } from '../../iaas/index.ts';
import { isIaasApiError } from '../../iaas/index.ts';
import { belongsToMachine } from '../../machine-class/server-identity.ts';
import type { MachineIdentity } from '../types.ts';
import { addressesOf } from './addresses.ts';
import type { MachineContext } from './machine-context.ts';
import { parseProviderId, providerIdFor } from './provider-id.ts';

/** Servers that are going away: never counted as the Machine's server. */
export const goingAway = (s: Server) => s.status === 'DELETING' || s.status === 'DELETED';

export async function serversOfMachine(
  mc: MachineContext,
  opts: { fresh?: boolean } = {},
): Promise<Server[]> {
  const snap = await mc.inventory.snapshot({ ...mc.call, fresh: opts.fresh ?? false });
  return [...snap.servers.values()].filter((s) => belongsToMachine(s, mc.ref));
}

/**
 * The server a ProviderID names: from the inventory when it is there, else one GET.
 * Undefined when it does not exist (404).
 */
export async function serverById(mc: MachineContext, serverId: string): Promise<Server | undefined> {
  const snap = await mc.inventory.snapshot(mc.call);
  const known = snap.servers.get(serverId);
  if (known) return known;
  try {
    return await mc.client.getServer(serverId, { ...mc.call, details: true });
  } catch (e) {
    if (isIaasApiError(e) && e.notFound) return undefined;
    throw e;
  }
}

/** The Machine's server: the one its ProviderID names, else the best one labelled for it. */
export async function findMachineServer(mc: MachineContext): Promise<Server | undefined> {
  const id = serverIdFromProviderId(mc);
  if (id) return serverById(mc, id);
  return pickServer(mc, await serversOfMachine(mc)).server;
}

export function serverIdFromProviderId(mc: MachineContext): string | undefined {
  const parsed = parseProviderId(mc.providerId);
  if (!parsed) return undefined;
  if (parsed.projectId && parsed.projectId !== mc.projectId.toLowerCase()) return undefined;
  return parsed.serverId;
}

/**
 * The one live server of the Machine, preferring the one its ProviderID names. Extra live servers
 * (a duplicate from an earlier crash) are returned separately so the caller can remove them.
 */
export function pickServer(
  mc: MachineContext,
  candidates: Server[],
): { server: Server | undefined; duplicates: Server[] } {
  const live = candidates.filter((s) => !goingAway(s));
  if (live.length <= 1) return { server: live[0], duplicates: [] };
  const wanted = serverIdFromProviderId(mc);
  const rank = (s: Server) =>
    s.id === wanted ? 0 : s.status === 'ACTIVE' ? 1 : s.status === 'ERROR' ? 3 : 2;
  const sorted = [...live].sort(
    (a, b) => rank(a) - rank(b) || String(a.createdAt ?? '').localeCompare(String(b.createdAt ?? '')),
  );
  return { server: sorted[0], duplicates: sorted.slice(1) };
}

export const providerIdOf = (mc: MachineContext, server: Server) => providerIdFor(mc.projectId, server.id);

/** What MCM gets back for a Machine's server: ProviderID, node name (the server name), addresses. */
export const identityOf = (mc: MachineContext, server: Server): MachineIdentity => ({
  providerId: providerIdOf(mc, server),
  nodeName: server.name,
  addresses: addressesOf(server),
});
