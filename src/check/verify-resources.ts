// Every ID a valid class references, asked of the IaaS API one by one: does it exist, is it usable,
// does it fit the rest of the class. Each problem names its providerSpec/Secret field and, for a
// dangling reference, a few of the things that exist instead.
import type { CallOptions, IaasClient, MachineType, Volume } from '../iaas/index.ts';
import { attempt, type Outcome } from './api-outcome.ts';
import { type Candidate, existsInstead } from './exists-instead.ts';
import type { OfflineResult } from './offline.ts';
import type { Finding } from './report.ts';

type Valid = NonNullable<OfflineResult['valid']>;

export async function verifyResources(
  client: IaasClient,
  valid: Valid,
  call: CallOptions,
): Promise<Finding[]> {
  const { spec, settings } = valid;
  const findings: Finding[] = [];
  const error = (path: string, message: string) => findings.push({ severity: 'error', path, message });
  const warn = (path: string, message: string) => findings.push({ severity: 'warning', path, message });
  const notChecked = (path: string, what: string, o: Outcome<unknown>) => {
    if (!o.ok)
      findings.push({ severity: 'unverified', path, message: `could not check ${what}: ${o.reason}` });
  };
  const region = client.region;
  const project = client.projectId;
  const where = `in project ${project} (region ${region})`;
  const regionPath = spec.region !== undefined ? 'providerSpec.region' : 'secret.region';
  /** The bounded list of alternatives, or why there is none. */
  const instead = async <T>(
    wanted: string,
    list: () => Promise<T[]>,
    show: (item: T) => Candidate | undefined,
  ) => {
    const got = await attempt(list);
    if (!got.ok) return '(could not list them)';
    return existsInstead(
      wanted,
      got.value.map(show).filter((c): c is Candidate => c !== undefined),
    );
  };
  const named = (item: { name?: string | undefined; id?: string | undefined }) => ({
    key: item.name ?? item.id ?? '',
    label: item.name ? `${item.name} (id ${item.id})` : `${item.id}`,
  });

  // Region and zone first: this call also proves the credentials (the token is fetched here).
  const zones = await attempt(() => client.listAvailabilityZones(call));
  if (!zones.ok) {
    if (zones.status === 'missing') {
      error(regionPath, `region ${region} is not known to the API (ListAvailabilityZones answered 404)`);
      return findings;
    }
    notChecked(regionPath, 'the region', zones);
  } else if (spec.availabilityZone !== undefined && !zones.value.includes(spec.availabilityZone)) {
    error(
      'providerSpec.availabilityZone',
      `availability zone "${spec.availabilityZone}" does not exist in region ${region}; zones that exist: ${zones.value.join(', ') || 'none'}`,
    );
  }

  // The first project-scoped call: a wrong or inaccessible project fails here, and nothing else can be checked.
  const types = await attempt(() => client.listMachineTypes(call));
  if (!types.ok && types.status !== 'failed') {
    error(
      'secret.projectId',
      types.status === 'missing'
        ? `project ${project} not found in region ${region} (${types.reason})`
        : `the service account may not use project ${project} (${types.reason}); grant it the IaaS roles on the project`,
    );
    return findings;
  }
  notChecked('providerSpec.machineType', 'the machine type', types);
  let machineType: MachineType | undefined;
  if (types.ok) {
    machineType = types.value.find((t) => t.name === spec.machineType);
    if (!machineType) {
      const list = existsInstead(
        spec.machineType,
        types.value.map((t) => ({
          key: t.name,
          label: t.ram !== undefined ? `${t.name} (${t.vcpus} vCPU, ${t.ram / 1024} GB)` : t.name,
        })),
      );
      error(
        'providerSpec.machineType',
        `machine type "${spec.machineType}" does not exist ${where}; machine types that exist: ${list}`,
      );
    }
  }

  const image = async () => {
    const boot = settings.boot;
    const fromImage = boot.bootVolume?.source?.type === 'image';
    const id = boot.imageId ?? (fromImage ? boot.bootVolume?.source?.id : undefined);
    if (id === undefined) return;
    const path = spec.imageId !== undefined ? 'providerSpec.imageId' : 'providerSpec.bootVolume.source.id';
    if (fromImage && boot.bootVolume?.size === undefined)
      error(
        'providerSpec.bootVolume.size',
        'is required when the boot volume is made from an image: the API refuses such a server with 400 "boot device size is not valid or missing"',
      );
    const got = await attempt(() => client.getImage(id, call));
    if (!got.ok) {
      if (got.status !== 'missing') return notChecked(path, 'the image', got);
      const list = await instead(
        id,
        () => client.listImages(call),
        (i) =>
          i.status === undefined || i.status === 'AVAILABLE'
            ? { key: i.name, label: `${i.name} (id ${i.id})` }
            : undefined,
      );
      return error(path, `image "${id}" not found ${where}; images that exist: ${list}`);
    }
    const img = got.value;
    if (img.status !== undefined && img.status !== 'AVAILABLE')
      error(path, `image "${img.name}" (${id}) is ${img.status}, not AVAILABLE`);
    if (machineType?.ram !== undefined && img.minRam !== undefined && machineType.ram < img.minRam)
      error(
        'providerSpec.machineType',
        `machine type ${machineType.name} has ${machineType.ram} MB RAM; image "${img.name}" needs at least ${img.minRam} MB (minRam)`,
      );
    const size = boot.bootVolume?.size;
    if (size !== undefined && img.minDiskSize !== undefined && size < img.minDiskSize)
      error(
        'providerSpec.bootVolume.size',
        `is ${size} GB; image "${img.name}" needs at least ${img.minDiskSize} GB (minDiskSize)`,
      );
  };

  const network = async () => {
    const n = settings.networking;
    const networkId = 'networkId' in n ? n.networkId : undefined;
    if (networkId === undefined) {
      warn(
        'providerSpec.networking.nicIds',
        'not verified online; the API checks the NICs when it creates a server',
      );
      return;
    }
    const path =
      spec.networking?.networkId !== undefined ? 'providerSpec.networking.networkId' : 'secret.networkId';
    const got = await attempt(() => client.getNetwork(networkId, call));
    if (got.ok) return;
    if (got.status !== 'missing') return notChecked(path, 'the network', got);
    const list = await instead(networkId, () => client.listNetworks(call), named);
    error(path, `network "${networkId}" not found ${where}; networks that exist: ${list}`);
  };

  const securityGroups = async () => {
    const refs = spec.securityGroups ?? [];
    if (refs.length === 0) return;
    const got = await attempt(() => client.listSecurityGroups(call));
    if (!got.ok) return notChecked('providerSpec.securityGroups', 'the security groups', got);
    refs.forEach((ref, i) => {
      const byId = got.value.find((g) => g.id.toLowerCase() === ref.toLowerCase());
      const byName = got.value.filter((g) => g.name === ref);
      const path = `providerSpec.securityGroups.${i}`;
      if (!byId && byName.length === 0)
        error(
          path,
          `security group "${ref}" not found by name or id ${where}; security groups that exist: ${existsInstead(ref, got.value.map(named))}`,
        );
      else if (!byId && byName.length > 1)
        warn(path, `${byName.length} security groups are named "${ref}"; give the id of the one you mean`);
    });
  };

  const keypair = async () => {
    const name = spec.keypairName;
    if (name === undefined) return;
    const got = await attempt(() => client.getKeyPair(name, call));
    if (got.ok) return;
    if (got.status !== 'missing') return notChecked('providerSpec.keypairName', 'the keypair', got);
    const list = await instead(
      name,
      () => client.listKeyPairs(call),
      (k) => ({ key: k.name, label: k.name }),
    );
    error(
      'providerSpec.keypairName',
      `keypair "${name}" not found (keypairs belong to the service account, not to a project); keypairs that exist: ${list}`,
    );
  };

  const affinityGroup = async () => {
    const id = spec.affinityGroup;
    if (id === undefined) return;
    const got = await attempt(() => client.getAffinityGroup(id, call));
    if (got.ok) return;
    if (got.status !== 'missing') return notChecked('providerSpec.affinityGroup', 'the affinity group', got);
    const list = await instead(
      id,
      () => client.listAffinityGroups(call),
      (g) => ({
        key: g.name,
        label: `${g.name} (id ${g.id}${g.policy ? `, ${g.policy}` : ''})`,
      }),
    );
    error(
      'providerSpec.affinityGroup',
      `affinity group "${id}" not found ${where}; affinity groups that exist: ${list}`,
    );
  };

  const volumes = async () => {
    const available = (v: Volume) => v.status === 'AVAILABLE' && !v.serverId;
    const volumeLabel = (v: Volume) => ({
      key: v.name ?? v.id,
      label: `${v.name ? `${v.name} ` : ''}(id ${v.id}, ${v.availabilityZone ?? 'no zone'})`,
    });
    const usable = async (id: string, path: string, bootable: boolean): Promise<Volume | undefined> => {
      const got = await attempt(() => client.getVolume(id, call));
      if (!got.ok) {
        if (got.status !== 'missing') return void notChecked(path, 'the volume', got);
        const list = await instead(
          id,
          () => client.listVolumes(call),
          (v) => (available(v) && (!bootable || v.bootable !== false) ? volumeLabel(v) : undefined),
        );
        return void error(path, `volume "${id}" not found ${where}; available volumes: ${list}`);
      }
      const v = got.value;
      if (!available(v))
        error(
          path,
          `volume "${v.name ?? id}" is ${v.status ?? 'in an unknown state'}${v.serverId ? `, attached to server ${v.serverId}` : ''}; it must be AVAILABLE`,
        );
      if (bootable && v.bootable === false) error(path, `volume "${v.name ?? id}" is not bootable`);
      return v;
    };

    const source = settings.boot.bootVolume?.source;
    let bootZone: string | undefined;
    if (source?.type === 'volume') {
      const path = 'providerSpec.bootVolume.source.id';
      const v = await usable(source.id, path, true);
      bootZone = v?.availabilityZone;
      if (
        v &&
        spec.availabilityZone !== undefined &&
        bootZone !== undefined &&
        bootZone !== spec.availabilityZone
      )
        error(
          'providerSpec.availabilityZone',
          `is ${spec.availabilityZone}, but the boot volume "${v.name ?? v.id}" is in ${bootZone}; a server boots only from a volume in its own zone`,
        );
      if (v) warn(path, 'a volume boots one server: this class can serve only one Machine at a time');
    } else if (source?.type === 'snapshot') {
      warn('providerSpec.bootVolume.source.id', 'snapshot sources are not verified online');
    }

    const ids = spec.volumes ?? [];
    const zone = spec.availabilityZone ?? bootZone ?? `${region}-m`;
    for (const [i, id] of ids.entries()) {
      const path = `providerSpec.volumes.${i}`;
      const v = await usable(id, path, false);
      if (v?.availabilityZone !== undefined && !zone.endsWith('-m') && v.availabilityZone !== zone)
        error(
          path,
          `volume "${v.name ?? id}" is in ${v.availabilityZone}, the server in ${zone}; volumes attach only within their zone`,
        );
    }
    if (ids.length > 0)
      warn(
        'providerSpec.volumes',
        'a volume attaches to one server at a time: this class can serve only one Machine at a time',
      );
  };

  // One after the other: a few calls, and the lines come out in a stable order.
  for (const check of [image, network, securityGroups, keypair, affinityGroup, volumes]) await check();
  return findings;
}
