// Read-only catalog operations: machine types, images, keypairs, availability zones, and the
// project's networks, security groups, affinity groups and volumes.
import { notFound } from './api-error.ts';
import { type Handler, list, type OpContext, ok } from './context.ts';
import { bySelector, selectorParam } from './query.ts';
import { renderAffinityGroup, renderNetwork, renderSecurityGroup, renderVolume } from './render.ts';

function scope(ctx: OpContext) {
  if (!ctx.project || !ctx.region) throw new Error('catalog operation without project scope');
  return { project: ctx.project, region: ctx.region };
}

const inRegion = <T extends { region: string }>(items: Iterable<T>, region: string) =>
  [...items].filter((i) => i.region === region);

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

export const listKeyPairs: Handler = (ctx) =>
  list(bySelector(ctx.engine.store.keypairs, selectorParam(ctx), (k) => k.labels));

export const getKeyPair: Handler = (ctx) => {
  const k = ctx.engine.store.keypairs.find((kp) => kp.name === ctx.params.keypairName);
  if (!k) throw notFound('keypair not found');
  return ok(k);
};

export const listAvailabilityZones: Handler = (ctx) => {
  const region = ctx.engine.store.regions.find((r) => r.name === ctx.params.region);
  if (!region) throw notFound('region not found');
  return list(region.availabilityZones);
};

export const listNetworks: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  return list(
    bySelector(inRegion(project.networks.values(), region), selectorParam(ctx), (n) => n.labels).map(
      renderNetwork,
    ),
  );
};

export const getNetwork: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const n = project.networks.get(ctx.params.networkId ?? '');
  if (!n || n.region !== region) throw notFound('network not found');
  return ok(renderNetwork(n));
};

export const listSecurityGroups: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const groups = inRegion(project.securityGroups.values(), region);
  return list(bySelector(groups, selectorParam(ctx), (g) => g.labels).map(renderSecurityGroup));
};

export const getSecurityGroup: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const g = project.securityGroups.get(ctx.params.securityGroupId ?? '');
  if (!g || g.region !== region) throw notFound('security group not found');
  return ok(renderSecurityGroup(g));
};

export const listAffinityGroups: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  return list(
    inRegion(project.affinityGroups.values(), region).map((g) => renderAffinityGroup(ctx.engine.store, g)),
  );
};

export const getAffinityGroup: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const g = project.affinityGroups.get(ctx.params.affinityGroupId ?? '');
  if (!g || g.region !== region) throw notFound('affinity group not found');
  return ok(renderAffinityGroup(ctx.engine.store, g));
};

export const listVolumes: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const vols = [...ctx.engine.store.volumes.values()].filter(
    (v) => v.projectId === project.id && v.region === region,
  );
  return list(bySelector(vols, selectorParam(ctx), (v) => v.labels).map(renderVolume));
};

export const getVolume: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const v = ctx.engine.store.volumes.get(ctx.params.volumeId ?? '');
  if (!v || v.projectId !== project.id || v.region !== region) throw notFound('volume not found');
  return ok(renderVolume(v));
};
