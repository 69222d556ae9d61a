// providerSpec + Machine -> CreateServerPayload. Every providerSpec field that reaches the API is
// mapped here, and only here (region, networking, boot source and user data are combined with the
// Secret in src/machine-class/resolve.ts).

import type { CreateServerPayload } from '../../iaas/index.ts';
import { type ProviderSpec, type ServerSettings, serverNameFor } from '../../machine-class/index.ts';
import { serverLabels, serverMetadata } from '../../machine-class/server-identity.ts';
import type { MachineContext } from './machine-context.ts';

export function buildCreatePayload(
  mc: MachineContext,
  spec: ProviderSpec,
  settings: ServerSettings,
): CreateServerPayload {
  const userMetadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.metadata ?? {}))
    userMetadata[k] = typeof v === 'string' ? v : JSON.stringify(v);

  const payload: CreateServerPayload = {
    name: serverNameFor(mc.ref.name),
    machineType: spec.machineType,
    networking: settings.networking,
    ...settings.boot,
    labels: serverLabels(mc.ref, spec.labels ?? {}),
    // Our keys last: the full Machine name must survive a user key of the same name.
    metadata: { ...userMetadata, ...serverMetadata(mc.ref) },
  };
  if (spec.availabilityZone) payload.availabilityZone = spec.availabilityZone;
  if (spec.affinityGroup) payload.affinityGroup = spec.affinityGroup;
  if (spec.keypairName) payload.keypairName = spec.keypairName;
  if (spec.securityGroups?.length) payload.securityGroups = spec.securityGroups;
  if (spec.serviceAccountMails?.length) payload.serviceAccountMails = spec.serviceAccountMails;
  if (spec.volumes?.length) payload.volumes = spec.volumes;
  if (spec.agent) payload.agent = { provisioned: spec.agent.provisioned };
  if (settings.userData !== undefined && settings.userData !== '') {
    payload.userData = Buffer.from(settings.userData, 'utf8').toString('base64');
  }
  return payload;
}
