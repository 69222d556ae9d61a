// Volumes: List, Get, Create (empty, or from an image or another volume), Update, Delete (refused
// while attached) and Resize (grow only). A new volume is AVAILABLE at once, so CreateServer can
// boot from it or attach it in the next call.
import type { components } from '../iaas/generated/iaas-v2.ts';
import { badRequest, conflict, IaasError, notFound } from './api-error.ts';
import { type Handler, type OpContext, ok } from './context.ts';
import { newLabels, patchedLabels } from './labels.ts';
import { findOwned, owned } from './lookup.ts';
import { boolParam, listSelected } from './query.ts';
import { renderVolume } from './render.ts';
import { labelledBody, nowIso, quote, requireBody, scope } from './request.ts';
import type { VolumeRecord } from './store.ts';
import { newUuid } from './uuid.ts';
import { validateBody } from './validation.ts';

type CreateVolumePayload = components['schemas']['CreateVolumePayload'];
type UpdateVolumePayload = components['schemas']['UpdateVolumePayload'];

/** The largest volume the spec documents ("Volumes sized up to 16000GB are supported"). */
export const MAX_VOLUME_GB = 16000;
export const DEFAULT_PERFORMANCE_CLASS = 'storage_premium_perf1';

const findVolume = (ctx: OpContext, id = ctx.params.volumeId ?? ''): VolumeRecord =>
  findOwned(ctx, ctx.engine.store.volumes, id, 'volume');

export const listVolumes: Handler = (ctx) =>
  listSelected(ctx, owned(ctx, ctx.engine.store.volumes), renderVolume);

export const getVolume: Handler = (ctx) => ok(renderVolume(findVolume(ctx)));

function checkSize(size: number | undefined, min: number, why: string): void {
  if (size === undefined) throw badRequest(`size: property "size" is required ${why}`);
  if (size < min) throw badRequest(`size: must be at least ${min} GB ${why}`);
  if (size > MAX_VOLUME_GB) throw badRequest(`size: must be at most ${MAX_VOLUME_GB} GB`);
}

export const createVolume: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const { store } = ctx.engine;
  const b = labelledBody<CreateVolumePayload>(ctx, 'CreateVolumePayload', false);
  if (!store.zonesOf(region).includes(b.availabilityZone)) {
    throw badRequest(`availability zone is not valid: availabilityZone ${quote(b.availabilityZone)}`);
  }
  let size = b.size;
  let bootable = b.bootable ?? false;
  const source = b.source;
  if (!source) {
    checkSize(size, 1, 'for a volume without a source');
  } else if (source.type === 'image') {
    const image = store.images.find((i) => i.id === source.id);
    if (!image) throw notFound(`image not found: source.id ${quote(source.id)}`);
    checkSize(size, image.minDiskSize ?? 1, `for image ${image.id}`);
    bootable = b.bootable ?? true;
  } else if (source.type === 'volume') {
    let from: VolumeRecord;
    try {
      from = findVolume(ctx, source.id);
    } catch {
      throw notFound(`volume not found: source.id ${quote(source.id)}`);
    }
    size ??= from.size;
    checkSize(size, from.size ?? 1, `to copy volume ${from.id}`);
    bootable = b.bootable ?? from.bootable ?? false;
  } else if (source.type === 'snapshot' || source.type === 'backup') {
    throw new IaasError(501, `volume source type ${source.type} is not modelled by the STACKIT simulator`);
  } else {
    throw badRequest(
      `source.type: must be one of image, volume, snapshot, backup, got ${quote(source.type)}`,
    );
  }
  const now = nowIso(ctx);
  const v: VolumeRecord = {
    id: newUuid(),
    projectId: project.id,
    region,
    availabilityZone: b.availabilityZone,
    status: 'AVAILABLE',
    bootable,
    performanceClass: b.performanceClass ?? DEFAULT_PERFORMANCE_CLASS,
    labels: newLabels(b.labels),
    createdAt: now,
    updatedAt: now,
  };
  if (size !== undefined) v.size = size;
  if (source) v.source = { type: source.type, id: source.id };
  if (b.name !== undefined) v.name = b.name;
  if (b.description !== undefined) v.description = b.description;
  if (b.encryptionParameters !== undefined) v.encrypted = true;
  store.volumes.set(v.id, v);
  ctx.engine.changed();
  return ok(renderVolume(v), 201);
};

export const updateVolume: Handler = (ctx) => {
  const v = findVolume(ctx);
  const b = labelledBody<UpdateVolumePayload>(ctx, 'UpdateVolumePayload', true);
  if (b.name !== undefined) v.name = b.name;
  if (b.description !== undefined) v.description = b.description;
  if (b.bootable !== undefined) v.bootable = b.bootable;
  if (b.imageConfig !== undefined) v.imageConfig = { ...(b.imageConfig as Record<string, unknown>) };
  if (b.labels !== undefined) v.labels = patchedLabels(v.labels, b.labels);
  v.updatedAt = nowIso(ctx);
  ctx.engine.changed();
  return ok(renderVolume(v));
};

export const deleteVolume: Handler = (ctx) => {
  const v = findVolume(ctx);
  boolParam(ctx, 'cascade'); // checked; there are no snapshots to cascade to
  if (v.serverId) throw conflict(`volume ${v.id} is in use: attached to server ${v.serverId}`);
  ctx.engine.store.volumes.delete(v.id);
  ctx.engine.changed();
  return { status: 204 };
};

export const resizeVolume: Handler = (ctx) => {
  const v = findVolume(ctx);
  const body = requireBody(ctx.body);
  validateBody('ResizeVolumePayload', body);
  const size = (body as { size: number }).size;
  if (v.size !== undefined && size <= v.size) {
    throw badRequest(`size: the new size must be larger than the current ${v.size} GB`);
  }
  if (size > MAX_VOLUME_GB) throw badRequest(`size: must be at most ${MAX_VOLUME_GB} GB`);
  if (v.status !== 'AVAILABLE' && v.status !== 'ATTACHED') {
    throw conflict(`volume ${v.id} cannot be resized while ${v.status}`);
  }
  v.size = size;
  v.updatedAt = nowIso(ctx);
  ctx.engine.changed();
  return { status: 202 };
};
