// The driver contract, mirroring MCM's pkg/util/provider/driver.Driver. The Go bridge turns each
// MCM call into one of these requests; Kubernetes objects arrive as their JSON.

import type { Machine, MachineClass } from '../mcm/generated/machine-v1alpha1.ts';
import type { Logger } from '../util/log.ts';

export type { Machine, MachineClass };

/** A Secret's `data`, decoded. MCM merges secretRef and credentialsSecretRef (the latter wins). */
export type SecretData = Record<string, Buffer>;

/** Kubernetes core/v1 PersistentVolumeSpec, as JSON (only the fields drivers read are typed). */
export interface PersistentVolumeSpec {
  csi?: { driver: string; volumeHandle: string; [k: string]: unknown };
  cinder?: { volumeID: string; [k: string]: unknown };
  [k: string]: unknown;
}

export interface MachineRequest {
  machine: Machine;
  machineClass: MachineClass;
  secret: SecretData;
  /**
   * The Machine's effective creation timeout as MCM computes it (its machineConfiguration, else
   * --machine-creation-timeout), sent by the bridge; undefined when unknown.
   */
  creationTimeoutMs?: number;
}

export type { MachineIdentity, NodeAddress } from '../mcm/identity.ts';

import type { MachineIdentity } from '../mcm/identity.ts';

export interface CreateMachineResponse extends MachineIdentity {
  lastKnownState?: string;
}
export type InitializeMachineResponse = MachineIdentity;
export type GetMachineStatusResponse = MachineIdentity;
export interface DeleteMachineResponse {
  lastKnownState?: string;
}

export interface ListMachinesRequest {
  machineClass: MachineClass;
  secret: SecretData;
  /**
   * The Machines of the class's namespace that have a ProviderID (every class): Machine name ->
   * spec.providerID, listed by the bridge for this call. Undefined when it could not list them:
   * servers of the Go provider are then neither adopted nor reported.
   */
  machines?: Record<string, string>;
}
export interface ListMachinesResponse {
  /** providerID -> machine name; ProviderIDs byte-identical to CreateMachine's. */
  machineList: Record<string, string>;
}

export interface GetVolumeIdsRequest {
  pvSpecs: PersistentVolumeSpec[];
}
export interface GetVolumeIdsResponse {
  volumeIds: string[];
}

/** Per-call context: the bridge always sets a deadline (MCM passes none). */
export interface CallContext {
  signal: AbortSignal;
  /** Epoch milliseconds after which the caller has given up. */
  deadline: number;
  log: Logger;
}

/** Metrics a driver keeps itself (those MCM does not define); the bridge serves them on /metrics. */
export interface DriverMetricsSource {
  /** Prometheus text exposition format (0.0.4). */
  exposition(): Promise<string>;
}

/**
 * Errors are thrown as MachineError (src/mcm/errors.ts). GetMachineStatus may throw Uninitialized
 * carrying a partial response: MCM reads ProviderID/NodeName from it.
 */
export interface Driver {
  createMachine(req: MachineRequest, ctx: CallContext): Promise<CreateMachineResponse>;
  initializeMachine(req: MachineRequest, ctx: CallContext): Promise<InitializeMachineResponse>;
  deleteMachine(req: MachineRequest, ctx: CallContext): Promise<DeleteMachineResponse>;
  getMachineStatus(req: MachineRequest, ctx: CallContext): Promise<GetMachineStatusResponse>;
  listMachines(req: ListMachinesRequest, ctx: CallContext): Promise<ListMachinesResponse>;
  getVolumeIds(req: GetVolumeIdsRequest, ctx: CallContext): Promise<GetVolumeIdsResponse>;
  /**
   * Optional: the driver's own metrics. Cloud API requests are reported per call instead, through
   * recordApiCall (src/driver/api-calls.ts), so the bridge records MCM's mcm_cloud_api_* metrics.
   */
  metrics?: DriverMetricsSource;
}
