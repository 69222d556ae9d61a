// The simulator's state: catalogs, projects with their resources, servers, NICs, volumes and
// service-account keys. Plain records in maps; `snapshot`/`restore` give the JSON the state file
// holds.

import { Ipam } from './ipam.ts';
import type { Labels } from './labels.ts';
import { DueQueue } from './scheduler.ts';
import type {
  AffinityGroup,
  Image,
  Keypair,
  MachineType,
  Network,
  ProjectSeed,
  RegionSeed,
  SecurityGroup,
  SeedData,
  Writable,
} from './types.ts';
import { macFor } from './uuid.ts';

export type ServerNetworking = { networkId: string } | { nicIds: string[] };

export interface ServerRecord {
  id: string;
  projectId: string;
  region: string;
  name: string;
  machineType: string;
  availabilityZone: string;
  status: string;
  powerStatus?: string;
  errorMessage?: string;
  createdAt: string;
  updatedAt: string;
  launchedAt?: string;
  labels: Labels;
  metadata?: Record<string, unknown>;
  imageId?: string;
  bootVolume?: { id: string; deleteOnTermination: boolean };
  keypairName?: string;
  affinityGroup?: string;
  /** Attached non-boot volumes. */
  volumes: string[];
  /** The networking variant exactly as sent, echoed back (never `{}`). */
  networking: ServerNetworking;
  nicIds: string[];
  securityGroupIds: string[];
  serviceAccountMails?: string[];
  userData?: string;
  agent?: { provisioned?: boolean };
  configDrive?: boolean;
  /** The next transition and when it happens; absent when the server rests (or is stuck). */
  due?: { at: number; next: 'ACTIVE' | 'ERROR' | 'GONE'; errorMessage?: string };
}

export interface NicRecord {
  id: string;
  projectId: string;
  region: string;
  networkId: string;
  name?: string;
  description?: string;
  ipv4?: string;
  mac: string;
  nicSecurity: boolean;
  securityGroups: string[];
  allowedAddresses: string[];
  labels: Labels;
  /** Server the NIC is attached to. */
  device?: string;
  /** Created with the server (deleted with it) rather than attached by id (kept). */
  ownedByServer: boolean;
}

export interface VolumeRecord {
  id: string;
  projectId: string;
  region: string;
  name?: string;
  description?: string;
  availabilityZone: string;
  size?: number;
  status: string;
  bootable?: boolean;
  performanceClass?: string;
  source?: { type: string; id: string };
  /** Set when the volume was created with encryptionParameters (which never come back). */
  encrypted?: boolean;
  imageConfig?: Record<string, unknown>;
  labels: Labels;
  serverId?: string;
  createdAt: string;
  updatedAt: string;
}

export type NetworkRecord = Omit<Writable<Network>, 'ipv4'> & {
  id: string;
  region: string;
  ipv4?: Writable<NonNullable<Network['ipv4']>>;
};
export type SecurityGroupRecord = Writable<SecurityGroup> & { id: string; region: string };
export type AffinityGroupRecord = AffinityGroup & { id: string; region: string };

export interface ProjectRecord {
  id: string;
  name?: string;
  regions: string[];
  networks: Map<string, NetworkRecord>;
  securityGroups: Map<string, SecurityGroupRecord>;
  affinityGroups: Map<string, AffinityGroupRecord>;
}

export interface KeyRecord {
  id: string;
  kid: string;
  publicKey: string;
  iss: string;
  sub: string;
  aud: string;
  createdAt: string;
  validUntil: string;
  active: boolean;
  keyOrigin: 'GENERATED' | 'USER_PROVIDED';
  projectIds?: string[];
}

export interface StateSnapshot {
  version: 1;
  savedAt: string;
  regions: RegionSeed[];
  machineTypes: MachineType[];
  images: Array<Image & { id: string }>;
  keypairs: Keypair[];
  projects: Array<{
    id: string;
    name?: string;
    regions: string[];
    networks: NetworkRecord[];
    securityGroups: SecurityGroupRecord[];
    affinityGroups: AffinityGroupRecord[];
  }>;
  servers: ServerRecord[];
  nics: NicRecord[];
  volumes: VolumeRecord[];
  keys: KeyRecord[];
  tokenSecret: string;
  /** The seed the state grew from, so a reset after a restart returns to it. */
  seed?: SeedData;
}

const nowIso = () => new Date().toISOString();

const PUBLIC_POOL = '(public)';
const PUBLIC_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];

export class Store {
  regions: RegionSeed[] = [];
  machineTypes: MachineType[] = [];
  images: Array<Image & { id: string }> = [];
  keypairs: Keypair[] = [];
  readonly projects = new Map<string, ProjectRecord>();
  readonly servers = new Map<string, ServerRecord>();
  readonly nics = new Map<string, NicRecord>();
  readonly volumes = new Map<string, VolumeRecord>();
  readonly keys = new Map<string, KeyRecord>();
  readonly ipam = new Ipam();
  readonly due = new DueQueue();
  tokenSecret = '';

  /** Replaces catalogs, projects and resources with the seed's; servers are dropped, keys kept. */
  loadSeed(seed: SeedData): void {
    this.regions = structuredClone(seed.regions);
    this.machineTypes = structuredClone(seed.machineTypes);
    this.images = structuredClone(seed.images);
    this.keypairs = structuredClone(seed.keypairs);
    this.projects.clear();
    this.servers.clear();
    this.nics.clear();
    this.volumes.clear();
    this.ipam.clear();
    this.due.clear();
    for (const p of seed.projects) this.addProject(p);
  }

  addProject(p: ProjectSeed): ProjectRecord {
    const region = (r: string | undefined) => r ?? p.regions[0]!;
    const rec: ProjectRecord = {
      id: p.id,
      regions: [...p.regions],
      networks: new Map(
        p.networks.map((n) => [n.id!, { ...structuredClone(n), id: n.id!, region: region(n.region) }]),
      ),
      securityGroups: new Map(
        p.securityGroups.map((g) => [g.id, { ...structuredClone(g), region: region(g.region) }]),
      ),
      affinityGroups: new Map(
        p.affinityGroups.map((g) => [g.id, { ...structuredClone(g), region: region(g.region) }]),
      ),
    };
    if (p.name !== undefined) rec.name = p.name;
    this.projects.set(p.id, rec);
    this.reserveNetworkAddresses(rec);
    const created = nowIso();
    for (const v of p.volumes) {
      const vol: VolumeRecord = {
        id: v.id,
        projectId: p.id,
        region: region(v.region),
        availabilityZone: v.availabilityZone,
        status: v.status ?? 'AVAILABLE',
        labels: (v.labels as Labels | undefined) ?? {},
        createdAt: v.createdAt ?? created,
        updatedAt: v.updatedAt ?? created,
      };
      if (v.name !== undefined) vol.name = v.name;
      if (v.description !== undefined) vol.description = v.description;
      if (v.size !== undefined) vol.size = v.size;
      if (v.bootable !== undefined) vol.bootable = v.bootable;
      if (v.performanceClass !== undefined) vol.performanceClass = v.performanceClass;
      if (v.source) vol.source = { type: v.source.type, id: v.source.id };
      this.volumes.set(v.id, vol);
    }
    for (const n of p.nics) {
      const network = rec.networks.get(n.networkId);
      const nic: NicRecord = {
        id: n.id,
        projectId: p.id,
        region: region(n.region),
        networkId: n.networkId,
        mac: n.mac ?? macFor(n.id),
        nicSecurity: n.nicSecurity ?? true,
        securityGroups: n.securityGroups ?? [],
        allowedAddresses: n.allowedAddresses ?? [],
        labels: (n.labels as Labels | undefined) ?? {},
        ownedByServer: false,
      };
      if (n.name !== undefined) nic.name = n.name;
      if (n.description !== undefined) nic.description = n.description;
      nic.ipv4 = n.ipv4 ?? (network ? this.allocateIp(network) : undefined);
      if (nic.ipv4 === undefined) delete nic.ipv4;
      else this.ipam.reserve(n.networkId, nic.ipv4);
      this.nics.set(n.id, nic);
    }
    return rec;
  }

  /** A network router's public (SNAT) address, from the documentation ranges of RFC 5737. */
  allocatePublicIp(): string | undefined {
    return this.ipam.allocate(PUBLIC_POOL, PUBLIC_RANGES, []);
  }

  releasePublicIp(ip: string | undefined): void {
    this.ipam.release(PUBLIC_POOL, ip);
  }

  private reserveNetworkAddresses(p: ProjectRecord): void {
    for (const n of p.networks.values())
      if (n.ipv4?.publicIp) this.ipam.reserve(PUBLIC_POOL, n.ipv4.publicIp);
  }

  allocateIp(network: NetworkRecord): string | undefined {
    const excluded = [network.ipv4?.gateway ?? '', ...(network.ipv4?.nameservers ?? [])].filter(Boolean);
    return this.ipam.allocate(network.id, network.ipv4?.prefixes ?? [], excluded);
  }

  zonesOf(region: string): string[] {
    return this.regions.find((r) => r.name === region)?.availabilityZones ?? [];
  }

  snapshot(): StateSnapshot {
    return {
      version: 1,
      savedAt: nowIso(),
      regions: this.regions,
      machineTypes: this.machineTypes,
      images: this.images,
      keypairs: this.keypairs,
      projects: [...this.projects.values()].map((p) => ({
        id: p.id,
        ...(p.name === undefined ? {} : { name: p.name }),
        regions: p.regions,
        networks: [...p.networks.values()],
        securityGroups: [...p.securityGroups.values()],
        affinityGroups: [...p.affinityGroups.values()],
      })),
      servers: [...this.servers.values()],
      nics: [...this.nics.values()],
      volumes: [...this.volumes.values()],
      keys: [...this.keys.values()],
      tokenSecret: this.tokenSecret,
    };
  }

  restore(s: StateSnapshot): void {
    if (s.version !== 1) throw new Error(`state file version ${String(s.version)} is not supported`);
    this.regions = s.regions;
    this.machineTypes = s.machineTypes;
    this.images = s.images;
    this.keypairs = s.keypairs;
    this.projects.clear();
    for (const p of s.projects) {
      const rec: ProjectRecord = {
        id: p.id,
        regions: p.regions,
        networks: new Map(p.networks.map((n) => [n.id, n])),
        securityGroups: new Map(p.securityGroups.map((g) => [g.id, g])),
        affinityGroups: new Map(p.affinityGroups.map((g) => [g.id, g])),
      };
      if (p.name !== undefined) rec.name = p.name;
      this.projects.set(p.id, rec);
    }
    this.servers.clear();
    this.due.clear();
    for (const srv of s.servers) {
      this.servers.set(srv.id, srv);
      if (srv.due) this.due.push({ at: srv.due.at, serverId: srv.id });
    }
    this.nics.clear();
    this.ipam.clear();
    for (const p of this.projects.values()) this.reserveNetworkAddresses(p);
    for (const n of s.nics) {
      this.nics.set(n.id, n);
      if (n.ipv4) this.ipam.reserve(n.networkId, n.ipv4);
    }
    this.volumes.clear();
    for (const v of s.volumes) this.volumes.set(v.id, v);
    this.keys.clear();
    for (const k of s.keys) this.keys.set(k.kid, k);
    if (s.tokenSecret) this.tokenSecret = s.tokenSecret;
  }
}
