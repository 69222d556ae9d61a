// NIC operations: network-scoped List/Get/Update and the project-wide List/Get.
import type { components } from '../iaas/generated/iaas-v2.ts';
import { notFound } from './api-error.ts';
import { type Handler, type OpContext, ok } from './context.ts';
import { patchedLabels } from './labels.ts';
import { findOwned, owned } from './lookup.ts';
import { findNetwork } from './networks.ts';
import { listSelected } from './query.ts';
import { renderNic } from './render.ts';
import { labelledBody, scope } from './request.ts';
import type { NicRecord } from './store.ts';

type UpdateNicPayload = components['schemas']['UpdateNicPayload'];

function findNic(ctx: OpContext, networkId?: string): NicRecord {
  const nic = findOwned(ctx, ctx.engine.store.nics, ctx.params.nicId ?? '', 'nic');
  if (networkId !== undefined && nic.networkId !== networkId) throw notFound('nic not found');
  return nic;
}

export const listNics: Handler = (ctx) => {
  const network = findNetwork(ctx);
  const nics = owned(ctx, ctx.engine.store.nics).filter((n) => n.networkId === network.id);
  return listSelected(ctx, nics, (n) => renderNic(ctx.engine.store, n));
};

export const getNic: Handler = (ctx) => ok(renderNic(ctx.engine.store, findNic(ctx, findNetwork(ctx).id)));

export const listProjectNics: Handler = (ctx) =>
  listSelected(ctx, owned(ctx, ctx.engine.store.nics), (n) => renderNic(ctx.engine.store, n));

export const getProjectNic: Handler = (ctx) => ok(renderNic(ctx.engine.store, findNic(ctx)));

export const updateNic: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const nic = findNic(ctx, findNetwork(ctx).id);
  const b = labelledBody<UpdateNicPayload>(ctx, 'UpdateNicPayload', true);
  const groups = (b.securityGroups ?? []).map((id, i) => {
    const g = project.securityGroups.get(id);
    if (!g || g.region !== region) throw notFound(`security group not found: securityGroups[${i}] "${id}"`);
    return g.id;
  });
  if (b.allowedAddresses !== undefined)
    nic.allowedAddresses = [...new Set(b.allowedAddresses.map((a) => a.trim()))];
  if (b.securityGroups !== undefined) nic.securityGroups = groups;
  if (b.nicSecurity !== undefined) nic.nicSecurity = b.nicSecurity;
  if (b.name !== undefined) nic.name = b.name;
  if (b.description !== undefined) nic.description = b.description;
  if (b.labels !== undefined) nic.labels = patchedLabels(nic.labels, b.labels);
  ctx.engine.changed();
  return ok(renderNic(ctx.engine.store, nic));
};
