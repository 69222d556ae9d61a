// How a STACKIT server is tied to its Machine: labels (queryable, 63-character values) and metadata
// (the full names, which may be longer). The label keys are the existing Go provider's, so servers
// it created are found after switching providers.
import type { Server } from '../../iaas/types.ts';
import {
  labelValueFor,
  machineClassLabelKey,
  machineClassNameMetadataKey,
  machineLabelKey,
  machineNameMetadataKey,
  managedByMetadataKey,
  namespaceLabelKey,
  namespaceMetadataKey,
} from '../../machine-class/names.ts';

export const MACHINE_LABEL = machineLabelKey;
export const CLASS_LABEL = machineClassLabelKey;
export const NAMESPACE_LABEL = namespaceLabelKey;

export const META_MACHINE = machineNameMetadataKey;
export const META_CLASS = machineClassNameMetadataKey;
export const META_NAMESPACE = namespaceMetadataKey;
export const META_MANAGED_BY = managedByMetadataKey;
export const MANAGED_BY = 'machine-controller-manager-provider-stackit';

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
    [MACHINE_LABEL]: labelValueFor(ref.name),
    [CLASS_LABEL]: labelValueFor(ref.className),
    [NAMESPACE_LABEL]: labelValueFor(ref.namespace),
  };
}

export function serverMetadata(ref: MachineRef): Record<string, string> {
  return {
    [META_MACHINE]: ref.name,
    [META_CLASS]: ref.className,
    [META_NAMESPACE]: ref.namespace,
    [META_MANAGED_BY]: MANAGED_BY,
  };
}

/** One list per class: the namespace is filtered client-side so Go-provider servers stay visible. */
export function classSelector(className: string): string {
  return `${CLASS_LABEL}=${labelValueFor(className)}`;
}

/** True when the server carries our namespace label, or none at all (created by the Go provider). */
export function inNamespace(server: Server, namespace: string): boolean {
  const ns = server.labels?.[NAMESPACE_LABEL];
  return ns === undefined || ns === labelValueFor(namespace);
}

/** Strictly ours: orphan collection only ever touches servers that name this namespace. */
export function ownedByNamespace(server: Server, namespace: string): boolean {
  return server.labels?.[NAMESPACE_LABEL] === labelValueFor(namespace);
}

/** The Machine name a server belongs to: metadata has the full name, the label a shortened one. */
export function machineNameOf(server: Server): string | undefined {
  const full = server.metadata?.[META_MACHINE];
  if (typeof full === 'string' && labelValueFor(full) === server.labels?.[MACHINE_LABEL]) return full;
  return server.labels?.[MACHINE_LABEL];
}

export function belongsToMachine(server: Server, ref: MachineRef): boolean {
  return (
    server.labels?.[MACHINE_LABEL] === labelValueFor(ref.name) &&
    server.labels?.[CLASS_LABEL] === labelValueFor(ref.className) &&
    inNamespace(server, ref.namespace) &&
    (machineNameOf(server) === ref.name || server.metadata?.[META_MACHINE] === undefined)
  );
}
