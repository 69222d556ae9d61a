// How a STACKIT server is tied to its Machine, in one place: the label keys (queryable, values of at
// most 63 characters), the metadata keys (the full names, which may be longer), the selectors and
// ownership rules built on them, the keys providerSpec may therefore not set, and the labels of
// every generation of the existing Go provider, whose servers are recognised after a switch.
import type { Server } from '../iaas/types.ts';
import { labelValueFor } from './names.ts';

/**
 * Server label keys the driver sets. The machine and class keys are the existing Go provider's, so
 * its servers are recognised; the namespace key scopes servers to one MCM namespace (one cluster's
 * control plane) and is absent on the Go provider's. The driver overwrites these, so providerSpec
 * may not set them.
 */
export const machineLabelKey = 'kubernetes.io/machine';
export const machineClassLabelKey = 'kubernetes.io/machineclass';
export const namespaceLabelKey = 'machine.sapcloud.io/namespace';
export const reservedLabelKeys: readonly string[] = [
  machineLabelKey,
  machineClassLabelKey,
  namespaceLabelKey,
];

/**
 * The Go provider's label keys of v0.1.0-v0.2.0 (v0.3.0 and later use the two above; v0.1.0-v0.2.0
 * also set `mcm.gardener.cloud/role: node`). Read only, to adopt its servers after a switch.
 */
export const goProviderV01MachineLabelKey = 'mcm.gardener.cloud/machine';
export const goProviderV01MachineClassLabelKey = 'mcm.gardener.cloud/machineclass';

/** Server metadata keys holding the full names (metadata keys may not contain `/`, hence `-`). */
export const machineNameMetadataKey = 'kubernetes.io-machine';
export const machineClassNameMetadataKey = 'kubernetes.io-machineclass';
export const namespaceMetadataKey = 'machine.sapcloud.io-namespace';
export const managedByMetadataKey = 'managed-by';
export const reservedMetadataKeys: readonly string[] = [
  machineNameMetadataKey,
  machineClassNameMetadataKey,
  namespaceMetadataKey,
  managedByMetadataKey,
];

/** Value of the managed-by metadata key. */
export const managedByValue = 'machine-controller-manager-provider-stackit';

export interface MachineRef {
  name: string;
  namespace: string;
  className: string;
}

export function serverLabels(
  ref: MachineRef,
  userLabels: Record<string, string> = {},
): Record<string, string> {
  return {
    ...userLabels,
    [machineLabelKey]: labelValueFor(ref.name),
    [machineClassLabelKey]: labelValueFor(ref.className),
    [namespaceLabelKey]: labelValueFor(ref.namespace),
  };
}

export function serverMetadata(ref: MachineRef): Record<string, string> {
  return {
    [machineNameMetadataKey]: ref.name,
    [machineClassNameMetadataKey]: ref.className,
    [namespaceMetadataKey]: ref.namespace,
    [managedByMetadataKey]: managedByValue,
  };
}

/** One list per class: the namespace is filtered client-side so Go-provider servers stay visible. */
export function classSelector(className: string): string {
  return `${machineClassLabelKey}=${labelValueFor(className)}`;
}

/** True when the server carries our namespace label, or none at all (created by the Go provider). */
export function inNamespace(server: Server, namespace: string): boolean {
  const ns = server.labels?.[namespaceLabelKey];
  return ns === undefined || ns === labelValueFor(namespace);
}

/** Strictly ours: orphan collection only ever touches servers that name this namespace. */
export function ownedByNamespace(server: Server, namespace: string): boolean {
  return server.labels?.[namespaceLabelKey] === labelValueFor(namespace);
}

/** The Machine name a server belongs to: metadata has the full name, the label a shortened one. */
export function machineNameOf(server: Server): string | undefined {
  const full = server.metadata?.[machineNameMetadataKey];
  if (typeof full === 'string' && labelValueFor(full) === server.labels?.[machineLabelKey]) return full;
  return server.labels?.[machineLabelKey];
}

export function belongsToMachine(server: Server, ref: MachineRef): boolean {
  return (
    server.labels?.[machineLabelKey] === labelValueFor(ref.name) &&
    server.labels?.[machineClassLabelKey] === labelValueFor(ref.className) &&
    inNamespace(server, ref.namespace) &&
    (machineNameOf(server) === ref.name || server.metadata?.[machineNameMetadataKey] === undefined)
  );
}

/**
 * The label keys of every released generation of the Go provider (checked against its tags v0.1.0
 * to v0.6.0): v0.3.0 and later use our keys. The values are the Machine's and the MachineClass's
 * names as they are.
 */
export const goProviderLabelGenerations = [
  { since: 'v0.3.0', machine: machineLabelKey, machineClass: machineClassLabelKey },
  { since: 'v0.1.0', machine: goProviderV01MachineLabelKey, machineClass: goProviderV01MachineClassLabelKey },
] as const;

/** v0.1.0-v0.2.0's class label, which the class's own server list does not select. */
export const oldestGoProviderClassLabelKey = goProviderLabelGenerations[1].machineClass;

/** A server the Go provider created for this class: a class label of any generation, no namespace label. */
export function isGoProviderServer(server: Server, className: string): boolean {
  if (server.labels?.[namespaceLabelKey] !== undefined) return false;
  const value = labelValueFor(className);
  return goProviderLabelGenerations.some((g) => server.labels?.[g.machineClass] === value);
}
