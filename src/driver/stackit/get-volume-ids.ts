// GetVolumeIDs: which PVs are STACKIT block volumes, so drain can wait for them to detach. MCM uses
// the ID as a regex against node.status.volumesAttached[].name.
import type { GetVolumeIdsRequest, GetVolumeIdsResponse } from '../types.ts';

export const STACKIT_CSI_DRIVER = 'block-storage.csi.stackit.cloud';
/** Clusters migrated from STACKIT's OpenStack-based offering still carry Cinder volumes. */
export const CINDER_CSI_DRIVER = 'cinder.csi.openstack.org';

export function getVolumeIds(req: GetVolumeIdsRequest): GetVolumeIdsResponse {
  const volumeIds: string[] = [];
  for (const pv of req.pvSpecs) {
    if (pv.csi && (pv.csi.driver === STACKIT_CSI_DRIVER || pv.csi.driver === CINDER_CSI_DRIVER)) {
      if (pv.csi.volumeHandle) volumeIds.push(pv.csi.volumeHandle);
    } else if (pv.cinder?.volumeID) {
      volumeIds.push(pv.cinder.volumeID);
    }
  }
  return { volumeIds };
}
