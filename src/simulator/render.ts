// Records -> response bodies shaped exactly like the spec's schemas. Write-only fields (server
// securityGroups, bootVolume.source/size/performanceClass) never leave the simulator, and
// `networking` is the one variant that was sent, never `{}`.
import type { NicRecord, ServerRecord, Store, VolumeRecord } from './store.ts';
import {
  type AffinityGroup,
  type Network,
  type Nic,
  type SecurityGroup,
  type Server,
  type ServerNetwork,
  specMap,
  type Volume,
} from './types.ts';

export function renderServer(store: Store, s: ServerRecord, details: boolean): Server {
  const out: Server = {
    id: s.id,
    name: s.name,
    machineType: s.machineType,
    availabilityZone: s.availabilityZone,
    status: s.status,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    labels: specMap({ ...s.labels }),
    networking:
      'networkId' in s.networking
        ? { networkId: s.networking.networkId }
        : { nicIds: [...s.networking.nicIds] },
    volumes: [...(s.bootVolume ? [s.bootVolume.id] : []), ...s.volumes],
  };
  const o = out as Record<string, unknown>;
  if (s.powerStatus !== undefined) o.powerStatus = s.powerStatus;
  if (s.errorMessage !== undefined) o.errorMessage = s.errorMessage;
  if (s.launchedAt !== undefined) o.launchedAt = s.launchedAt;
  if (s.metadata !== undefined) out.metadata = specMap({ ...s.metadata });
  if (s.imageId !== undefined) out.imageId = s.imageId;
  if (s.bootVolume)
    out.bootVolume = { id: s.bootVolume.id, deleteOnTermination: s.bootVolume.deleteOnTermination };
  if (s.keypairName !== undefined) out.keypairName = s.keypairName;
  if (s.affinityGroup !== undefined) out.affinityGroup = s.affinityGroup;
  if (s.agent !== undefined) out.agent = { ...s.agent };
  if (s.configDrive !== undefined) out.configDrive = s.configDrive;
  if (details) {
    o.nics = s.nicIds.flatMap((id) => {
      const nic = store.nics.get(id);
      return nic ? [renderServerNetwork(store, nic)] : [];
    });
    if (s.serviceAccountMails !== undefined) out.serviceAccountMails = [...s.serviceAccountMails];
    if (s.userData !== undefined) out.userData = s.userData;
  }
  return out;
}

function networkName(store: Store, nic: NicRecord): string {
  return store.projects.get(nic.projectId)?.networks.get(nic.networkId)?.name ?? nic.networkId;
}

export function renderServerNetwork(store: Store, nic: NicRecord): ServerNetwork {
  const out: ServerNetwork = {
    nicId: nic.id,
    networkId: nic.networkId,
    networkName: networkName(store, nic),
    mac: nic.mac,
    nicSecurity: nic.nicSecurity,
    allowedAddresses: [...nic.allowedAddresses],
    securityGroups: [...nic.securityGroups],
  };
  if (nic.ipv4 !== undefined) out.ipv4 = nic.ipv4;
  return out;
}

export function renderNic(store: Store, nic: NicRecord): Nic {
  const server = nic.device ? store.servers.get(nic.device) : undefined;
  const out: Nic = {
    id: nic.id,
    networkId: nic.networkId,
    mac: nic.mac,
    nicSecurity: nic.nicSecurity,
    securityGroups: [...nic.securityGroups],
    allowedAddresses: [...nic.allowedAddresses],
    labels: specMap({ ...nic.labels }),
    status: server?.status === 'ACTIVE' ? 'ACTIVE' : 'DOWN',
    type: nic.device ? 'server' : 'none',
  };
  const o = out as Record<string, unknown>;
  if (nic.device !== undefined) o.device = nic.device;
  if (nic.name !== undefined) out.name = nic.name;
  if (nic.description !== undefined) out.description = nic.description;
  if (nic.ipv4 !== undefined) out.ipv4 = nic.ipv4;
  return out;
}

export function renderVolume(v: VolumeRecord): Volume {
  const out: Volume = {
    id: v.id,
    availabilityZone: v.availabilityZone,
    status: v.status,
    labels: specMap({ ...v.labels }),
    encrypted: v.encrypted ?? false,
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
  };
  const o = out as Record<string, unknown>;
  if (v.name !== undefined) out.name = v.name;
  if (v.description !== undefined) out.description = v.description;
  if (v.size !== undefined) out.size = v.size;
  if (v.bootable !== undefined) out.bootable = v.bootable;
  if (v.performanceClass !== undefined) out.performanceClass = v.performanceClass;
  if (v.source) out.source = { ...v.source };
  if (v.imageConfig !== undefined) o.imageConfig = structuredClone(v.imageConfig);
  if (v.serverId !== undefined) o.serverId = v.serverId;
  return out;
}

/** Drops the simulator's bookkeeping field `region` from a seed-shaped resource. */
export function withoutRegion<T extends { region?: string }>(r: T): Omit<T, 'region'> {
  const { region: _region, ...rest } = r;
  return rest;
}

export function renderNetwork(n: Network & { region?: string }): Network {
  return withoutRegion(n);
}

export function renderSecurityGroup(g: SecurityGroup & { region?: string }): SecurityGroup {
  return withoutRegion(g);
}

export function renderAffinityGroup(
  store: Store,
  g: AffinityGroup & { id: string; region?: string },
): AffinityGroup {
  const members: string[] = [];
  for (const s of store.servers.values()) if (s.affinityGroup === g.id) members.push(s.id);
  return { ...withoutRegion(g), members };
}
