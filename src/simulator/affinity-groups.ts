// Affinity groups: List, Get (with `members`), Create (policy checked) and Delete. As in Nova,
// deleting a group with members is allowed; the servers keep their `affinityGroup`.
import type { components } from '../iaas/generated/iaas-v2.ts';
import { badRequest } from './api-error.ts';
import { type Handler, list, type OpContext, ok } from './context.ts';
import { findRegional, regional } from './lookup.ts';
import { renderAffinityGroup } from './render.ts';
import { quote, requireBody, scope } from './request.ts';
import type { AffinityGroupRecord, ProjectRecord } from './store.ts';
import { newUuid } from './uuid.ts';
import { validateBody } from './validation.ts';

type CreateAffinityGroupPayload = components['schemas']['CreateAffinityGroupPayload'];

export const AFFINITY_POLICIES = [
  'hard-anti-affinity',
  'hard-affinity',
  'soft-anti-affinity',
  'soft-affinity',
];

const groups = (p: ProjectRecord) => p.affinityGroups;

const findGroup = (ctx: OpContext): AffinityGroupRecord =>
  findRegional(ctx, groups, ctx.params.affinityGroupId ?? '', 'affinity group');

export const listAffinityGroups: Handler = (ctx) =>
  list(regional(ctx, groups).map((g) => renderAffinityGroup(ctx.engine.store, g)));

export const getAffinityGroup: Handler = (ctx) => ok(renderAffinityGroup(ctx.engine.store, findGroup(ctx)));

export const createAffinityGroup: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const body = requireBody(ctx.body);
  validateBody('CreateAffinityGroupPayload', body);
  const b = body as CreateAffinityGroupPayload;
  if (!AFFINITY_POLICIES.includes(b.policy)) {
    throw badRequest(`policy: must be one of ${AFFINITY_POLICIES.join(', ')}, got ${quote(b.policy)}`);
  }
  const g: AffinityGroupRecord = { id: newUuid(), region, name: b.name, policy: b.policy };
  project.affinityGroups.set(g.id, g);
  ctx.engine.changed();
  return ok(renderAffinityGroup(ctx.engine.store, g), 201);
};

export const deleteAffinityGroup: Handler = (ctx) => {
  const { project } = scope(ctx);
  project.affinityGroups.delete(findGroup(ctx).id);
  ctx.engine.changed();
  return { status: 204 };
};
