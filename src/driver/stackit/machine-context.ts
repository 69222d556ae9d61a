// What every driver method works with once the request is resolved (see resolve.ts): the validated
// spec, the IaaS client for the request's credential, and the class's shared server inventory.

import type { IaasClient } from '../../iaas/index.ts';
import type { ProviderSpec, ServerSettings } from '../../machine-class/index.ts';
import type { MachineRef } from '../../machine-class/server-identity.ts';
import type { Logger } from '../../util/log.ts';
import type { CallOptions, ServerInventory } from './inventory.ts';

export interface ClassContext {
  className: string;
  namespace: string;
  projectId: string;
  region: string;
  client: IaasClient;
  inventory: ServerInventory;
  call: CallOptions;
  log: Logger;
}

export interface MachineContext extends ClassContext {
  ref: MachineRef;
  /** The Machine's spec.providerID ('' until MCM stored one). */
  providerId: string;
  /**
   * True for the stand-in MCM's orphan collection builds (machine_safety.go): only name, namespace
   * and ProviderID, never a uid or creationTimestamp, which every stored Machine has.
   */
  orphanStandIn: boolean;
  /** MCM's deletion flow: the Machine has a deletionTimestamp. */
  deleting: boolean;
  /**
   * Epoch ms after which MCM's creation timeout has passed for this Machine (creationTimestamp +
   * the effective timeout the bridge sends); undefined when either is unknown.
   */
  creationDeadline: number | undefined;
  /** Undefined only in the delete flow when the class no longer validates (deletion must still work). */
  spec: ProviderSpec | undefined;
  /** Region, networking, boot source and user data as providerSpec and Secret combine them. */
  settings: ServerSettings | undefined;
}

/** What create and initialize work with: a class that validated, so spec and settings exist. */
export interface ReadyMachineContext extends MachineContext {
  spec: ProviderSpec;
  settings: ServerSettings;
}
