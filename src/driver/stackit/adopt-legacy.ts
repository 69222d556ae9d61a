// Servers created by the existing Go provider carry the machine and class labels but not our
// namespace label. Adding it when their Machine finds them lets ListMachines (and so orphan
// collection) see them from then on, after switching providers.
import type { Server } from '../../iaas/index.ts';
import { labelValueFor } from '../../machine-class/index.ts';
import type { MachineContext } from './machine-context.ts';
import { MACHINE_LABEL, NAMESPACE_LABEL } from './server-identity.ts';

export async function adoptIfLegacy(mc: MachineContext, server: Server): Promise<Server> {
  if (server.labels?.[NAMESPACE_LABEL] !== undefined) return server;
  if (server.labels?.[MACHINE_LABEL] !== labelValueFor(mc.ref.name)) return server;
  const labels = { ...(server.labels ?? {}), [NAMESPACE_LABEL]: labelValueFor(mc.ref.namespace) };
  try {
    await mc.client.updateServer(server.id, { labels }, mc.call);
  } catch (e) {
    // Not fatal: the Machine works without it; the next lookup tries again.
    mc.log.warn(
      { machine: mc.ref.name, serverId: server.id, err: (e as Error).message },
      'could not label legacy server',
    );
    return server;
  }
  const adopted = { ...server, labels };
  mc.inventory.upsert(adopted);
  mc.log.info({ machine: mc.ref.name, serverId: server.id }, 'adopted server created by the Go provider');
  return adopted;
}
