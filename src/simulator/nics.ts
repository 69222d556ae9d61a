// NIC operations: network-scoped List/Get/Update and the project-wide List/Get.
import type { components } from '../iaas/generated/iaas-v2.ts';
import { badRequest, notFound } from './api-error.ts';
import { type Handler, list, type OpContext, ok } from './context.ts';
import { labelsProblem, mergeMap } from './labels.ts';
import { bySelector, selectorParam } from './query.ts';
import { renderNic } from './render.ts';
import type { NicRecord } from './store.ts';
import { validateBody } from './validation.ts';

type UpdateNicPayload = components['schemas']['UpdateNicPayload'];

function scope(ctx: OpContext) {
  if (!ctx.project || !ctx.region) throw new Error('NIC operation without project scope');
  return { project: ctx.project, region: ctx.region };
}

function findNetwork(ctx: OpContext) {
  const { project, region } = scope(ctx);
  const n = project.networks.get(ctx.params.networkId ?? '');
  if (!n || n.region !== region) throw notFound('network not found');
  return n;
}

function findNic(ctx: OpContext, networkId?: string): NicRecord {
  const { project, region } = scope(ctx);
  const nic = ctx.engine.store.nics.get(ctx.params.nicId ?? '');
  if (!nic || nic.projectId !== project.id || nic.region !== region) throw notFound('nic not found');
  if (networkId !== undefined && nic.networkId !== networkId) throw notFound('nic not found');
  return nic;
}

function projectNics(ctx: OpContext): NicRecord[] {
  const { project, region } = scope(ctx);
  return [...ctx.engine.store.nics.values()].filter((n) => n.projectId === project.id && n.region === region);
}

export const listNics: Handler = (ctx) => {
  const network = findNetwork(ctx);
  const terms = selectorParam(ctx);
  const nics = projectNics(ctx).filter((n) => n.networkId === network.id);
  return list(bySelector(nics, terms, (n) => n.labels).map((n) => renderNic(ctx.engine.store, n)));
};

export const getNic: Handler = (ctx) => ok(renderNic(ctx.engine.store, findNic(ctx, findNetwork(ctx).id)));

export const listProjectNics: Handler = (ctx) => {
  const terms = selectorParam(ctx);
  return list(
    bySelector(projectNics(ctx), terms, (n) => n.labels).map((n) => renderNic(ctx.engine.store, n)),
  );
};

export const getProjectNic: Handler = (ctx) => ok(renderNic(ctx.engine.store, findNic(ctx)));

export const updateNic: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const nic = findNic(ctx, findNetwork(ctx).id);
  const body = ctx.body;
  if (body === undefined) throw badRequest('request body has an error: value is required but missing');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest(
      'request body has an error: doesn\'t match schema: Error at "/": value must be an object',
    );
  }
  validateBody('UpdateNicPayload', body);
  const b = body as UpdateNicPayload;
  if (b.labels !== undefined) {
    const p = labelsProblem('labels', b.labels, true);
    if (p) throw badRequest(p);
  }
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
  if (b.labels !== undefined) nic.labels = mergeMap(nic.labels, b.labels as Record<string, string | null>);
  ctx.engine.changed();
  return ok(renderNic(ctx.engine.store, nic));
};
