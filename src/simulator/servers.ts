// Server operations: List, Create, Get, Update, Delete and ListServerNICs.
import type { components } from '../iaas/generated/iaas-v2.ts';
import { badRequest, forbidden, notFound } from './api-error.ts';
import { type Handler, list, type OpContext, ok } from './context.ts';
import { CAPACITY_MESSAGE, type ServerFacts } from './faults.ts';
import { mergeMap, metadataProblem, patchedLabels } from './labels.ts';
import { findOwned, owned } from './lookup.ts';
import { boolParam, listSelected } from './query.ts';
import { renderNic, renderServer } from './render.ts';
import { checkLabels, isObject, nowIso, quote, requireBody, scope } from './request.ts';
import type { NicRecord, ServerNetworking, ServerRecord, VolumeRecord } from './store.ts';
import { isUuid, macFor, newUuid } from './uuid.ts';
import { validateBody } from './validation.ts';

type CreateServerPayload = components['schemas']['CreateServerPayload'];
type UpdateServerPayload = components['schemas']['UpdateServerPayload'];

export const findServer = (ctx: OpContext): ServerRecord =>
  findOwned(ctx, ctx.engine.store.servers, ctx.params.serverId ?? '', 'server');

/** Exactly one of networkId / nicIds, checked by hand so the message names the field. */
function checkNetworking(networking: unknown): void {
  if (networking === undefined) {
    throw badRequest(
      'request body has an error: doesn\'t match schema: Error at "/networking": property "networking" is missing',
    );
  }
  if (!isObject(networking)) throw badRequest('networking: value must be an object');
  const keys = Object.keys(networking);
  const hasNet = 'networkId' in networking;
  const hasNics = 'nicIds' in networking;
  if (hasNet === hasNics || keys.length !== 1) {
    throw badRequest('networking: exactly one of networking.networkId or networking.nicIds must be given');
  }
  if (hasNet && (typeof networking.networkId !== 'string' || !isUuid(networking.networkId))) {
    throw badRequest('invalid uuid: networking.networkId');
  }
  if (hasNics) {
    const ids = networking.nicIds;
    if (!Array.isArray(ids) || ids.length === 0)
      throw badRequest('networking.nicIds: at least one NIC id is required');
    ids.forEach((id, i) => {
      if (typeof id !== 'string' || !isUuid(id)) throw badRequest(`invalid uuid: networking.nicIds[${i}]`);
    });
    if (new Set(ids).size !== ids.length) throw badRequest('networking.nicIds: duplicate NIC id');
  }
}

function checkLabelsAndMetadata(body: Record<string, unknown>, allowNull: boolean): void {
  checkLabels(body, allowNull);
  if (body.metadata !== undefined) {
    const p = metadataProblem('metadata', body.metadata, allowNull);
    if (p) throw badRequest(p);
  }
}

export const listServers: Handler = (ctx) => {
  const details = boolParam(ctx, 'details');
  const { store } = ctx.engine;
  return listSelected(ctx, owned(ctx, store.servers), (s) => renderServer(store, s, details));
};

export const getServer: Handler = (ctx) => {
  const details = boolParam(ctx, 'details');
  return ok(renderServer(ctx.engine.store, findServer(ctx), details));
};

export const listServerNics: Handler = (ctx) => {
  const s = findServer(ctx);
  const { store } = ctx.engine;
  return list(s.nicIds.flatMap((id) => (store.nics.has(id) ? [renderNic(store, store.nics.get(id)!)] : [])));
};

export const deleteServer: Handler = (ctx) => {
  const s = findServer(ctx);
  const { engine } = ctx;
  if (s.status !== 'DELETING') {
    const stuck = engine.faults.matches('stuckDeleting', facts(s));
    if (stuck) engine.counters.fault('stuckDeleting');
    engine.beginDelete(s, ctx.now, stuck);
  }
  return { status: 204 };
};

export const updateServer: Handler = (ctx) => {
  const s = findServer(ctx);
  const body = requireBody(ctx.body);
  validateBody('UpdateServerPayload', body);
  checkLabelsAndMetadata(body, true);
  const b = body as UpdateServerPayload;
  if (b.name !== undefined) s.name = b.name;
  if (b.labels !== undefined) s.labels = patchedLabels(s.labels, b.labels);
  if (b.metadata !== undefined) {
    s.metadata = mergeMap(s.metadata ?? {}, b.metadata as Record<string, unknown>);
  }
  s.updatedAt = nowIso(ctx);
  ctx.engine.changed();
  return ok(renderServer(ctx.engine.store, s, false));
};

const facts = (s: {
  name: string;
  machineType: string;
  availabilityZone: string;
  projectId: string;
}): ServerFacts => ({
  name: s.name,
  machineType: s.machineType,
  availabilityZone: s.availabilityZone,
  projectId: s.projectId,
});

export const createServer: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const { engine } = ctx;
  const { store } = engine;
  const body = requireBody(ctx.body);
  checkNetworking(body.networking);
  validateBody('CreateServerPayload', body);
  checkLabelsAndMetadata(body, false);
  const b = body as CreateServerPayload;

  if (!store.machineTypes.some((m) => m.name === b.machineType)) {
    throw badRequest(`machine type is not valid: machineType ${quote(b.machineType)}`);
  }
  const zones = store.zonesOf(region);
  if (b.availabilityZone !== undefined && !zones.includes(b.availabilityZone)) {
    throw badRequest(`availability zone is not valid: availabilityZone ${quote(b.availabilityZone)}`);
  }

  // Boot source: imageId, or bootVolume.source (an image to copy or an existing volume).
  const source = b.bootVolume?.source;
  if (b.imageId !== undefined && source) {
    throw badRequest('imageId and bootVolume.source are mutually exclusive: give only one boot source');
  }
  if (b.imageId === undefined && !source) throw badRequest('either imageId or bootVolume.source is required');
  if (source && source.type !== 'image' && source.type !== 'volume') {
    throw badRequest(`bootVolume.source.type must be "image" or "volume", got ${quote(source.type)}`);
  }
  const inScope = <T extends { projectId: string; region: string }>(r: T | undefined) =>
    r && r.projectId === project.id && r.region === region ? r : undefined;

  let bootFromVolume: VolumeRecord | undefined;
  let imageId: string | undefined;
  let bootSize: number | undefined = b.bootVolume?.size;
  if (source?.type === 'volume') {
    bootFromVolume = inScope(store.volumes.get(source.id));
    if (!bootFromVolume) throw notFound(`volume not found: bootVolume.source.id ${quote(source.id)}`);
    if (bootFromVolume.serverId || bootFromVolume.status !== 'AVAILABLE') {
      throw badRequest(
        `volume is not available: bootVolume.source.id ${quote(source.id)} is ${bootFromVolume.status}`,
      );
    }
    if (bootFromVolume.bootable === false)
      throw badRequest(`volume is not bootable: bootVolume.source.id ${quote(source.id)}`);
    if (b.availabilityZone !== undefined && b.availabilityZone !== bootFromVolume.availabilityZone) {
      throw badRequest(
        `availabilityZone ${quote(b.availabilityZone)} does not match the boot volume's zone ${quote(bootFromVolume.availabilityZone)}`,
      );
    }
  } else {
    imageId = b.imageId ?? source?.id;
    const field = b.imageId !== undefined ? 'imageId' : 'bootVolume.source.id';
    const image = store.images.find((i) => i.id === imageId);
    if (!image) throw notFound(`image not found: ${field} ${quote(imageId)}`);
    const min = image.minDiskSize ?? 1;
    if (source) {
      // The spec's documented 400 for a copy-from-image boot volume without a usable size.
      if (bootSize === undefined || bootSize < min) {
        throw badRequest(
          `boot device size is not valid or missing: bootVolume.size must be at least ${min} GB`,
        );
      }
    } else if (bootSize !== undefined && bootSize < min) {
      throw badRequest(
        `boot device size is not valid or missing: bootVolume.size must be at least ${min} GB`,
      );
    }
    bootSize ??= Math.max(min, 10);
  }
  const availabilityZone = b.availabilityZone ?? bootFromVolume?.availabilityZone ?? `${region}-m`;

  if (b.keypairName !== undefined && !store.keypairs.some((k) => k.name === b.keypairName)) {
    throw notFound(`keypair not found: keypairName ${quote(b.keypairName)}`);
  }
  if (b.affinityGroup !== undefined) {
    const g = project.affinityGroups.get(b.affinityGroup);
    if (!g || g.region !== region)
      throw notFound(`affinity group not found: affinityGroup ${quote(b.affinityGroup)}`);
  }
  const securityGroupIds = (b.securityGroups ?? []).map((ref, i) => {
    const g = [...project.securityGroups.values()].find(
      (sg) => sg.region === region && (sg.id === ref || sg.name === ref),
    );
    if (!g) throw notFound(`security group not found: securityGroups[${i}] ${quote(ref)}`);
    return g.id;
  });
  const extraVolumes = (b.volumes ?? []).map((id, i) => {
    const v = inScope(store.volumes.get(id));
    if (!v) throw notFound(`volume not found: volumes[${i}] ${quote(id)}`);
    if (v.serverId || v.status !== 'AVAILABLE')
      throw badRequest(`volume is not available: volumes[${i}] ${quote(id)} is ${v.status}`);
    if (!availabilityZone.endsWith('-m') && v.availabilityZone !== availabilityZone) {
      throw badRequest(
        `volume is in another availability zone: volumes[${i}] ${quote(id)} is in ${quote(v.availabilityZone)}`,
      );
    }
    return v;
  });
  if (bootFromVolume && extraVolumes.includes(bootFromVolume))
    throw badRequest('volumes: the boot volume is listed again');

  const networking = b.networking as ServerNetworking;
  let network: ReturnType<typeof project.networks.get>;
  let attachNics: NicRecord[] = [];
  if ('networkId' in networking) {
    network = project.networks.get(networking.networkId);
    if (!network || network.region !== region)
      throw notFound(`network not found: networking.networkId ${quote(networking.networkId)}`);
  } else {
    attachNics = networking.nicIds.map((id, i) => {
      const nic = inScope(store.nics.get(id));
      if (!nic) throw notFound(`nic not found: networking.nicIds[${i}] ${quote(id)}`);
      if (nic.device) throw badRequest(`nic is already in use: networking.nicIds[${i}] ${quote(id)}`);
      return nic;
    });
  }

  const serverFacts: ServerFacts = {
    name: b.name,
    machineType: b.machineType,
    availabilityZone,
    projectId: project.id,
  };
  if (engine.faults.matches('quotaExceeded', serverFacts)) {
    engine.counters.fault('quotaExceeded');
    throw forbidden(
      `quota exceeded: ${engine.faults.quotaResource()} quota of project ${project.id} is exhausted`,
    );
  }

  // Everything referenced exists: create.
  const now = nowIso(ctx);
  const id = newUuid();
  let failure: string | undefined;
  const nicIds: string[] = [];
  if (network) {
    const ip = store.allocateIp(network);
    if (ip === undefined) {
      failure = `Failed to allocate the network(s) with error No more IP addresses available on network ${network.id}., not rescheduling.`;
    }
    const nicId = newUuid();
    const nic: NicRecord = {
      id: nicId,
      projectId: project.id,
      region,
      networkId: network.id,
      mac: macFor(nicId),
      nicSecurity: true,
      securityGroups: securityGroupIds,
      allowedAddresses: [],
      labels: {},
      device: id,
      ownedByServer: true,
    };
    if (ip !== undefined) nic.ipv4 = ip;
    store.nics.set(nicId, nic);
    nicIds.push(nicId);
  } else {
    for (const nic of attachNics) {
      nic.device = id;
      if (securityGroupIds.length > 0) nic.securityGroups = [...securityGroupIds];
      nicIds.push(nic.id);
    }
  }

  let bootVolume: ServerRecord['bootVolume'];
  if (bootFromVolume) {
    bootFromVolume.serverId = id;
    bootFromVolume.status = 'ATTACHING';
    bootFromVolume.updatedAt = now;
    bootVolume = { id: bootFromVolume.id, deleteOnTermination: b.bootVolume?.deleteOnTermination ?? false };
  } else {
    // STACKIT boots from a volume even for imageId; one made from imageId alone goes with the server.
    const volId = newUuid();
    const vol: VolumeRecord = {
      id: volId,
      projectId: project.id,
      region,
      availabilityZone,
      status: 'CREATING',
      bootable: true,
      source: { type: 'image', id: imageId! },
      labels: {},
      serverId: id,
      createdAt: now,
      updatedAt: now,
    };
    if (bootSize !== undefined) vol.size = bootSize;
    if (b.bootVolume?.performanceClass !== undefined) vol.performanceClass = b.bootVolume.performanceClass;
    store.volumes.set(volId, vol);
    bootVolume = { id: volId, deleteOnTermination: b.bootVolume?.deleteOnTermination ?? !source };
  }
  for (const v of extraVolumes) {
    v.serverId = id;
    v.status = 'ATTACHING';
    v.updatedAt = now;
  }

  const s: ServerRecord = {
    id,
    projectId: project.id,
    region,
    name: b.name,
    machineType: b.machineType,
    availabilityZone,
    status: 'CREATING',
    createdAt: now,
    updatedAt: now,
    labels: { ...((b.labels as Record<string, string> | undefined) ?? {}) },
    volumes: extraVolumes.map((v) => v.id),
    networking:
      'networkId' in networking ? { networkId: networking.networkId } : { nicIds: [...networking.nicIds] },
    nicIds,
    securityGroupIds,
  };
  if (bootVolume) s.bootVolume = bootVolume;
  if (b.imageId !== undefined) s.imageId = b.imageId;
  if (b.metadata !== undefined) s.metadata = { ...(b.metadata as Record<string, unknown>) };
  if (b.keypairName !== undefined) s.keypairName = b.keypairName;
  if (b.affinityGroup !== undefined) s.affinityGroup = b.affinityGroup;
  if (b.serviceAccountMails !== undefined) s.serviceAccountMails = [...b.serviceAccountMails];
  if (b.userData !== undefined) s.userData = b.userData;
  if (b.agent !== undefined) s.agent = { ...b.agent };
  if (b.configDrive !== undefined) s.configDrive = b.configDrive;
  store.servers.set(id, s);

  if (failure === undefined && engine.faults.matches('capacityExhausted', serverFacts)) {
    engine.counters.fault('capacityExhausted');
    failure = CAPACITY_MESSAGE;
  }
  if (failure === undefined && engine.faults.matches('bootFailure', serverFacts)) {
    engine.counters.fault('bootFailure');
    failure = engine.faults.bootFailureMessage();
  }
  const at = ctx.now + engine.timing.bootDelayMs;
  if (failure === undefined && engine.faults.matches('stuckCreating', serverFacts)) {
    engine.counters.fault('stuckCreating');
  } else if (failure === undefined) engine.schedule(s, at, 'ACTIVE');
  else engine.schedule(s, at, 'ERROR', failure);
  engine.changed();
  return ok(renderServer(store, s, false), 201);
};
