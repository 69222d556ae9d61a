// What MCM learns about a Machine's VM from a driver (driver.CreateMachineResponse and friends):
// its ProviderID, the Node name, and the Node's addresses. Errors may carry it too (errors.ts).

export interface NodeAddress {
  type: 'Hostname' | 'InternalIP' | 'ExternalIP' | 'InternalDNS' | 'ExternalDNS';
  address: string;
}

export interface MachineIdentity {
  providerId: string;
  nodeName: string;
  addresses?: NodeAddress[];
}
