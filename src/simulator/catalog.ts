// Read-only catalog operations: machine types, images and availability zones.
import { notFound } from './api-error.ts';
import { type Handler, list, ok } from './context.ts';
import { bySelector, selectorParam } from './query.ts';

export const listMachineTypes: Handler = (ctx) => list(ctx.engine.store.machineTypes);

export const getMachineType: Handler = (ctx) => {
  const m = ctx.engine.store.machineTypes.find((t) => t.name === ctx.params.machineType);
  if (!m) throw notFound('machine type not found');
  return ok(m);
};

export const listImages: Handler = (ctx) =>
  list(bySelector(ctx.engine.store.images, selectorParam(ctx), (i) => i.labels));

export const getImage: Handler = (ctx) => {
  const i = ctx.engine.store.images.find((im) => im.id === ctx.params.imageId);
  if (!i) throw notFound('image not found');
  return ok(i);
};

export const listAvailabilityZones: Handler = (ctx) => {
  const region = ctx.engine.store.regions.find((r) => r.name === ctx.params.region);
  if (!region) throw notFound('region not found');
  return list(region.availabilityZones);
};
