// ListMachines: every server of this class in this MCM namespace, from one fresh labelled list.
// MCM's orphan collection (machine_safety.go) deletes every listed server whose Machine does not
// exist or names another ProviderID, so only servers provably ours are listed:
// - servers with our namespace label;
// - servers of the Go provider (no namespace label, either label generation) whose ProviderID a
//   Machine of this namespace holds: adopted (labelled) first, then listed like ours.
// The Go provider's other servers (their Machine is gone, or another cluster's Machine owns them)
// are left alone, and reported in one log line and the stackit_unowned_legacy_servers gauge.

import type { Server } from '../../iaas/index.ts';
import { labelValueFor } from '../../machine-class/names.ts';
import {
  isGoProviderServer,
  machineClassLabelKey,
  machineNameOf,
  oldestGoProviderClassLabelKey,
  ownedByNamespace,
} from '../../machine-class/server-identity.ts';
import type { ListMachinesResponse } from '../types.ts';
import { adoptServer } from './adopt-legacy.ts';
import type { DriverMetrics } from './api-metrics.ts';
import { goingAway } from './lookup.ts';
import type { ClassContext } from './machine-context.ts';
import { parseProviderId, providerIdFor } from './provider-id.ts';

/** Updates in flight at once while adopting: a switch may find hundreds of servers at once. */
const ADOPT_CONCURRENCY = 8;
/** Servers named in the log line; the gauge has the full count. */
const LOGGED_SERVERS = 10;

interface Owner {
  name: string;
  /** The Machine's spec.providerID as stored: MCM compares it byte for byte with the list's key. */
  providerId: string;
}

/**
 * @param machines Machine name -> spec.providerID for the namespace (from the bridge); undefined
 *   when unknown: nothing is adopted or reported then.
 */
export async function listMachines(
  cc: ClassContext,
  machines?: Record<string, string>,
  metrics?: DriverMetrics,
): Promise<ListMachinesResponse> {
  const classValue = labelValueFor(cc.className);
  const [snap, oldest] = await Promise.all([
    cc.inventory.snapshot({ ...cc.call, fresh: true }),
    machines ? listOldestGeneration(cc, classValue) : undefined,
  ]);
  const owners = ownersByServerId(machines ?? {}, cc.projectId);
  const machineList: Record<string, string> = {};
  const legacy = new Map<string, Server>();
  for (const server of snap.servers.values()) {
    // The API's label_selector syntax is undocumented: check the class again.
    if (server.labels?.[machineClassLabelKey] !== classValue) continue;
    if (ownedByNamespace(server, cc.namespace)) {
      const owner = owners.get(server.id.toLowerCase());
      // A Machine whose ProviderID names the server is its owner, whatever the labels say.
      if (owner) machineList[owner.providerId] = owner.name;
      else {
        const name = machineNameOf(server);
        if (name) machineList[providerIdFor(cc.projectId, server.id)] = name;
      }
    } else if (isGoProviderServer(server, cc.className)) legacy.set(server.id, server);
  }
  if (!machines) return { machineList };
  for (const server of oldest ?? []) {
    if (!legacy.has(server.id) && isGoProviderServer(server, cc.className)) legacy.set(server.id, server);
  }

  const unowned: Server[] = [];
  const toAdopt: { server: Server; owner: Owner }[] = [];
  for (const server of legacy.values()) {
    if (goingAway(server)) continue;
    const owner = owners.get(server.id.toLowerCase());
    if (owner) toAdopt.push({ server, owner });
    else unowned.push(server);
  }
  for (let i = 0; i < toAdopt.length; i += ADOPT_CONCURRENCY) {
    await Promise.all(
      toAdopt.slice(i, i + ADOPT_CONCURRENCY).map(async ({ server, owner }) => {
        const ref = { name: owner.name, namespace: cc.namespace, className: cc.className };
        if (await adoptServer(cc, server, ref, 'ListMachines')) machineList[owner.providerId] = owner.name;
      }),
    );
  }

  // Without the oldest generation's list the count would be too low: keep the last one.
  if (oldest) metrics?.setUnownedLegacyServers(cc.className, unowned.length);
  if (unowned.length > 0) {
    cc.log.warn(
      {
        count: unowned.length,
        servers: unowned.slice(0, LOGGED_SERVERS).map((s) => `${s.name} (${s.id})`),
      },
      'servers created by the Go provider for this class are left alone: no Machine of this namespace has their ProviderID (their Machine is gone, or another cluster owns them); delete them by hand once you know they are not another cluster’s (docs/operations.md, Switching from the Go provider)',
    );
  }
  return { machineList };
}

/** Server id (lower case) -> the Machine whose ProviderID names it in this project. */
function ownersByServerId(machines: Record<string, string>, projectId: string): Map<string, Owner> {
  const out = new Map<string, Owner>();
  for (const [name, providerId] of Object.entries(machines)) {
    const parsed = parseProviderId(providerId);
    if (!parsed) continue;
    if (parsed.projectId && parsed.projectId !== projectId.toLowerCase()) continue;
    out.set(parsed.serverId, { name, providerId });
  }
  return out;
}

/**
 * Servers labelled by the Go provider's v0.1.0-v0.2.0 (the class's server list selects our class
 * label only). One more list per class and orphan period; undefined when it failed (logged), so a
 * transient error does not fail orphan collection of our own servers.
 */
async function listOldestGeneration(cc: ClassContext, classValue: string): Promise<Server[] | undefined> {
  try {
    return await cc.client.listServers({
      ...cc.call,
      labelSelector: `${oldestGoProviderClassLabelKey}=${classValue}`,
      details: true,
    });
  } catch (e) {
    cc.log.warn(
      { err: (e as Error).message },
      'could not list servers of the Go provider v0.1.0-v0.2.0; they are looked at again in the next pass',
    );
    return undefined;
  }
}
