// ListMachines: every server of this class in this MCM namespace, from one fresh labelled list.
// Servers without our namespace label (made by the Go provider) are left out on purpose: the
// safety controller deletes what it finds here without a Machine, and we cannot tell whose they are.

import { labelValueFor } from '../../machine-class/names.ts';
import type { ListMachinesResponse } from '../types.ts';
import type { ClassContext } from './machine-context.ts';
import { providerIdFor } from './provider-id.ts';
import { CLASS_LABEL, machineNameOf, ownedByNamespace } from './server-identity.ts';

export async function listMachines(cc: ClassContext): Promise<ListMachinesResponse> {
  const snap = await cc.inventory.snapshot({ ...cc.call, fresh: true });
  const machineList: Record<string, string> = {};
  for (const server of snap.servers.values()) {
    // The API's label_selector syntax is undocumented: check the class again.
    if (server.labels?.[CLASS_LABEL] !== labelValueFor(cc.className)) continue;
    if (!ownedByNamespace(server, cc.namespace)) continue;
    const name = machineNameOf(server);
    if (name) machineList[providerIdFor(cc.projectId, server.id)] = name;
  }
  return { machineList };
}
