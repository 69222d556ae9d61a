// ProviderID `stackit://<projectId>/<serverId>`, the format of the existing Go provider. Its last `/`
// segment is the server UUID, which is what Gardener's cluster-autoscaler matches against the
// Node's providerID (`stackit://<serverId>`, written by STACKIT's cloud-controller-manager).
const prefix = 'stackit://';

import { uuidPattern as uuid } from '../../util/uuid.ts';

export function providerIdFor(projectId: string, serverId: string): string {
  return `${prefix}${projectId.toLowerCase()}/${serverId.toLowerCase()}`;
}

export interface ParsedProviderId {
  /** Absent for the CCM's short form `stackit://<serverId>`. */
  projectId?: string;
  serverId: string;
}

/** Undefined when the string is not a STACKIT ProviderID (e.g. a foreign or empty one). */
export function parseProviderId(providerId: string | undefined): ParsedProviderId | undefined {
  if (!providerId?.startsWith(prefix)) return undefined;
  const parts = providerId.slice(prefix.length).split('/');
  if (parts.length === 1 && uuid.test(parts[0]!)) return { serverId: parts[0]!.toLowerCase() };
  if (parts.length === 2 && uuid.test(parts[0]!) && uuid.test(parts[1]!)) {
    return { projectId: parts[0]!.toLowerCase(), serverId: parts[1]!.toLowerCase() };
  }
  return undefined;
}
