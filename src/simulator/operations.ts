// operationId -> handler. Operations of the spec not listed here answer 501 (not modelled).
import * as catalog from './catalog.ts';
import type { Handler } from './context.ts';
import * as nics from './nics.ts';
import * as servers from './servers.ts';

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
  ListKeyPairs: catalog.listKeyPairs,
  GetKeyPair: catalog.getKeyPair,
  ListAvailabilityZones: catalog.listAvailabilityZones,
  ListNetworks: catalog.listNetworks,
  GetNetwork: catalog.getNetwork,
  ListSecurityGroups: catalog.listSecurityGroups,
  GetSecurityGroup: catalog.getSecurityGroup,
  ListAffinityGroups: catalog.listAffinityGroups,
  GetAffinityGroup: catalog.getAffinityGroup,
  ListVolumes: catalog.listVolumes,
  GetVolume: catalog.getVolume,
};
