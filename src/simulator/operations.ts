// operationId -> handler. Operations of the spec not listed here answer 501 (not modelled).
import * as affinityGroups from './affinity-groups.ts';
import * as catalog from './catalog.ts';
import type { Handler } from './context.ts';
import * as keypairs from './keypairs.ts';
import * as networks from './networks.ts';
import * as nics from './nics.ts';
import * as securityGroups from './security-groups.ts';
import * as servers from './servers.ts';
import * as volumes from './volumes.ts';

export const handlers: Readonly<Record<string, Handler>> = {
  ListServers: servers.listServers,
  CreateServer: servers.createServer,
  GetServer: servers.getServer,
  UpdateServer: servers.updateServer,
  DeleteServer: servers.deleteServer,
  ListServerNICs: servers.listServerNics,
  ListNics: nics.listNics,
  GetNic: nics.getNic,
  UpdateNic: nics.updateNic,
  ListProjectNICs: nics.listProjectNics,
  GetProjectNIC: nics.getProjectNic,
  ListMachineTypes: catalog.listMachineTypes,
  GetMachineType: catalog.getMachineType,
  ListImages: catalog.listImages,
  GetImage: catalog.getImage,
  ListAvailabilityZones: catalog.listAvailabilityZones,
  ListKeyPairs: keypairs.listKeyPairs,
  GetKeyPair: keypairs.getKeyPair,
  CreateKeyPair: keypairs.createKeyPair,
  UpdateKeyPair: keypairs.updateKeyPair,
  DeleteKeyPair: keypairs.deleteKeyPair,
  ListNetworks: networks.listNetworks,
  GetNetwork: networks.getNetwork,
  CreateNetwork: networks.createNetwork,
  CreateIsolatedNetwork: networks.createIsolatedNetwork,
  PartialUpdateNetwork: networks.partialUpdateNetwork,
  DeleteNetwork: networks.deleteNetwork,
  ListSecurityGroups: securityGroups.listSecurityGroups,
  GetSecurityGroup: securityGroups.getSecurityGroup,
  CreateSecurityGroup: securityGroups.createSecurityGroup,
  UpdateSecurityGroup: securityGroups.updateSecurityGroup,
  DeleteSecurityGroup: securityGroups.deleteSecurityGroup,
  ListSecurityGroupRules: securityGroups.listSecurityGroupRules,
  GetSecurityGroupRule: securityGroups.getSecurityGroupRule,
  CreateSecurityGroupRule: securityGroups.createSecurityGroupRule,
  DeleteSecurityGroupRule: securityGroups.deleteSecurityGroupRule,
  ListAffinityGroups: affinityGroups.listAffinityGroups,
  GetAffinityGroup: affinityGroups.getAffinityGroup,
  CreateAffinityGroup: affinityGroups.createAffinityGroup,
  DeleteAffinityGroup: affinityGroups.deleteAffinityGroup,
  ListVolumes: volumes.listVolumes,
  GetVolume: volumes.getVolume,
  CreateVolume: volumes.createVolume,
  UpdateVolume: volumes.updateVolume,
  DeleteVolume: volumes.deleteVolume,
  ResizeVolume: volumes.resizeVolume,
};
