// Public data shapes of the simulator: seed data, fault profiles, counters, admin views and
// service-account keys. Resource shapes reuse the generated IaaS v2 types so the seed cannot drift
// from the spec.
import type { components } from '../iaas/generated/iaas-v2.ts';

type Schemas = components['schemas'];
export type Server = Schemas['Server'];
export type Nic = Schemas['NIC'];
export type ServerNetwork = Schemas['ServerNetwork'];
export type Volume = Schemas['Volume'];
export type Network = Schemas['Network'];
export type Image = Schemas['Image'];
export type MachineType = Schemas['MachineType'];
export type Keypair = Schemas['Keypair'];
export type AffinityGroup = Schemas['AffinityGroup'];
export type SecurityGroup = Schemas['SecurityGroup'];
export type SecurityGroupRule = Schemas['SecurityGroupRule'];
export type ApiError = Schemas['Error'];

/** The generated types mark response-only fields readonly; the simulator's records set them. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The generated types model the spec's free-form maps (labels, metadata, extraSpecs: `type: object`,
 * `format: json`) as `Record<string, never>`; this converts a real map to that type.
 */
export const specMap = (m: Record<string, unknown>): Record<string, never> => m as Record<string, never>;

/** A region and its availability zones (the metro zone `<region>-m` included). */
export interface RegionSeed {
  name: string;
  availabilityZones: string[];
}

/** Resources owned by one project. Each resource may name its `region`; it defaults to the project's first region. */
export interface ProjectSeed {
  id: string;
  name?: string;
  regions: string[];
  networks: Array<Network & { region?: string }>;
  securityGroups: Array<SecurityGroup & { id: string; region?: string }>;
  affinityGroups: Array<AffinityGroup & { id: string; region?: string }>;
  volumes: Array<Volume & { id: string; region?: string }>;
  /** Free-standing NICs (ports) that a server can be created with via `networking.nicIds`. */
  nics: Array<Nic & { id: string; networkId: string; region?: string }>;
}

/**
 * Everything the simulator knows before the first request. Machine types, images and keypairs are
 * global (images are public, keypairs belong to the caller); projects own networks and the rest.
 * `projects[0]` is the default project.
 */
export interface SeedData {
  regions: RegionSeed[];
  machineTypes: MachineType[];
  images: Array<Image & { id: string }>;
  keypairs: Keypair[];
  projects: ProjectSeed[];
}

/** Ids of the default project's resources, for tests, samples and the harness. */
export interface SeedDefaults {
  projectId: string;
  region: string;
  availabilityZone: string;
  networkId: string;
  imageId: string;
  machineType: string;
  keypairName: string;
  securityGroupId: string;
  securityGroupName: string;
  affinityGroupId: string;
}

/** A fixed delay, or a uniform range [min, max], applied with `probability` (default 1). */
export interface LatencyFault {
  ms: number | [number, number];
  probability?: number;
}

/** Faults for one API operation (the spec's operationId) or for all of them ('*'). */
export interface OperationFault {
  /** One delay or several (e.g. a small constant plus rare spikes); every one that fires adds up. */
  latency?: LatencyFault | LatencyFault[];
  /** Share of calls answered with `errorStatus` (default 500) and `{code, msg}`. */
  errorRate?: number;
  errorStatus?: number;
  errorMessage?: string;
  /** Carry the operation out, then answer with the error anyway (a lost response). */
  errorAfterCommit?: boolean;
  /** Share of calls answered 429 `Too Many Requests` with a Retry-After header. */
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  /** Share of successful answers whose body is broken in the given way. */
  malformedRate?: number;
  malformedKind?: 'invalid-json' | 'missing-required' | 'unknown-status';
}

/** Which servers a server-level fault applies to; every given condition must hold. */
export interface ServerFaultMatch {
  /** Chance that a matching server is hit (default 1). */
  probability?: number;
  /** JavaScript regular expression tested against the server name. */
  namePattern?: string;
  machineTypes?: string[];
  availabilityZones?: string[];
  projectIds?: string[];
}

export interface FaultProfile {
  operations?: Record<string, OperationFault>;
  /** Server goes to ERROR "No valid host was found. There are not enough hosts available." (modelled on OpenStack Nova). */
  capacityExhausted?: ServerFaultMatch;
  /** CreateServer answers 403 `quota exceeded: <resource>` (modelled, unverified). */
  quotaExceeded?: ServerFaultMatch & { resource?: string };
  /** Server goes to ERROR with `message` instead of ACTIVE. */
  bootFailure?: ServerFaultMatch & { message?: string };
  /** DeleteServer answers 204 but the server stays in DELETING for ever. */
  stuckDeleting?: ServerFaultMatch;
  /** The server stays in CREATING for ever (a boot that never finishes); it can still be deleted. */
  stuckCreating?: ServerFaultMatch;
}

export interface Counters {
  /** Every counted call: IaaS operations and token requests (the admin API is never counted). */
  total: number;
  /** Calls per operationId; token requests appear as `Token`, unmatched paths as `(unmatched)`. */
  byOperation: Record<string, number>;
  /** Calls per HTTP status code. */
  byStatus: Record<string, number>;
  byOperationAndStatus: Record<string, Record<string, number>>;
  /** Injected faults per kind: latency, error, rateLimit, malformed, capacityExhausted, quotaExceeded, bootFailure, stuckDeleting, stuckCreating. */
  faults: Record<string, number>;
}

/** A server as GET ...?details=true shows it, plus where it lives. */
export type AdminServer = Server & { id: string; projectId: string; region: string };

/** The service-account key JSON as the STACKIT portal hands it out. */
export interface ServiceAccountKey {
  id: string;
  publicKey: string;
  createdAt: string;
  validUntil: string;
  keyType: 'USER_MANAGED';
  keyOrigin: 'GENERATED' | 'USER_PROVIDED';
  keyAlgorithm: 'RSA_2048';
  active: boolean;
  credentials: {
    kid: string;
    iss: string;
    sub: string;
    aud: string;
    privateKey?: string;
    tokenEndpoint: string;
  };
}

export interface CreateServiceAccountKeyOptions {
  /** Service-account name; the e-mail becomes `<name>@sa.stackit.cloud`. */
  name?: string;
  /** Register this SPKI PEM public key instead of generating a pair (no privateKey is returned). */
  publicKey?: string;
  /** Restrict the key's tokens to these projects (others answer 403). Default: all projects. */
  projectIds?: string[];
  validUntil?: string;
}

/** Seed input before defaults are filled in (seed files, the admin API). */
export type PartialProjectSeed = Partial<ProjectSeed> & { id: string };
export type PartialSeed = Partial<Omit<SeedData, 'projects'>> & { projects?: PartialProjectSeed[] };
