// Security groups (List, Get, Create, Update, Delete: refused while a NIC uses the group) and their
// rules (List, Get, Create, Delete; a group's `rules` lists them too). A new group starts with the
// two egress rules Neutron, which STACKIT runs on, creates for every group.
import type { components } from '../iaas/generated/iaas-v2.ts';
import { badRequest, conflict, notFound } from './api-error.ts';
import { type Handler, list, type OpContext, ok } from './context.ts';
import { parseCidr } from './ipam.ts';
import { newLabels, patchedLabels } from './labels.ts';
import { findRegional, regional } from './lookup.ts';
import { listSelected } from './query.ts';
import { renderSecurityGroup } from './render.ts';
import { labelledBody, nowIso, quote, requireBody, scope } from './request.ts';
import type { ProjectRecord, SecurityGroupRecord } from './store.ts';
import type { SecurityGroupRule } from './types.ts';
import { newUuid } from './uuid.ts';
import { validateBody } from './validation.ts';

type CreateSecurityGroupPayload = components['schemas']['CreateSecurityGroupPayload'];
type UpdateSecurityGroupPayload = components['schemas']['UpdateSecurityGroupPayload'];

/** The spec's protocol names with their IANA numbers. */
export const PROTOCOLS: Readonly<Record<string, number>> = {
  ah: 51,
  dccp: 33,
  egp: 8,
  esp: 50,
  gre: 47,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  'ipv6-encap': 41,
  'ipv6-frag': 44,
  'ipv6-icmp': 58,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  'ipv6-route': 43,
  ospf: 89,
  pgm: 113,
  rsvp: 46,
  sctp: 132,
  tcp: 6,
  udp: 17,
  udplite: 136,
  vrrp: 112,
};
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const ICMP_PROTOCOLS = new Set([1, 58]);

const groups = (p: ProjectRecord) => p.securityGroups;

const findGroup = (ctx: OpContext, id = ctx.params.securityGroupId ?? ''): SecurityGroupRecord =>
  findRegional(ctx, groups, id, 'security group');

export const listSecurityGroups: Handler = (ctx) =>
  listSelected(ctx, regional(ctx, groups), renderSecurityGroup);

export const getSecurityGroup: Handler = (ctx) => ok(renderSecurityGroup(findGroup(ctx)));

function defaultRule(groupId: string, ethertype: 'IPv4' | 'IPv6', at: string): SecurityGroupRule {
  return {
    id: newUuid(),
    securityGroupId: groupId,
    direction: 'egress',
    ethertype,
    createdAt: at,
    updatedAt: at,
  };
}

export const createSecurityGroup: Handler = (ctx) => {
  const { project, region } = scope(ctx);
  const b = labelledBody<CreateSecurityGroupPayload>(ctx, 'CreateSecurityGroupPayload', false);
  const now = nowIso(ctx);
  const id = newUuid();
  const g: SecurityGroupRecord = {
    id,
    region,
    name: b.name,
    stateful: b.stateful ?? true,
    labels: newLabels(b.labels),
    rules: [defaultRule(id, 'IPv4', now), defaultRule(id, 'IPv6', now)],
    createdAt: now,
    updatedAt: now,
  };
  if (b.description !== undefined) g.description = b.description;
  project.securityGroups.set(id, g);
  ctx.engine.changed();
  return ok(renderSecurityGroup(g), 201);
};

export const updateSecurityGroup: Handler = (ctx) => {
  const g = findGroup(ctx);
  const b = labelledBody<UpdateSecurityGroupPayload>(ctx, 'UpdateSecurityGroupPayload', true);
  if (b.name !== undefined) g.name = b.name;
  if (b.description !== undefined) g.description = b.description;
  if (b.labels !== undefined) g.labels = patchedLabels(g.labels, b.labels);
  g.updatedAt = nowIso(ctx);
  ctx.engine.changed();
  return ok(renderSecurityGroup(g));
};

export const deleteSecurityGroup: Handler = (ctx) => {
  const { project } = scope(ctx);
  const g = findGroup(ctx);
  const users = [...ctx.engine.store.nics.values()].filter((n) => n.securityGroups.includes(g.id));
  if (users.length > 0) {
    throw conflict(
      `security group ${g.id} is still in use by ${users.length} network interface(s) (e.g. ${users[0]!.id})`,
    );
  }
  project.securityGroups.delete(g.id);
  ctx.engine.changed();
  return { status: 204 };
};

export const listSecurityGroupRules: Handler = (ctx) => list([...(findGroup(ctx).rules ?? [])]);

function findRule(ctx: OpContext): { group: SecurityGroupRecord; rule: SecurityGroupRule } {
  const group = findGroup(ctx);
  const rule = (group.rules ?? []).find((r) => r.id === ctx.params.securityGroupRuleId);
  if (!rule) throw notFound('security group rule not found');
  return { group, rule };
}

export const getSecurityGroupRule: Handler = (ctx) => ok(findRule(ctx).rule);

export const deleteSecurityGroupRule: Handler = (ctx) => {
  const { group, rule } = findRule(ctx);
  group.rules = (group.rules ?? []).filter((r) => r !== rule);
  group.updatedAt = nowIso(ctx);
  ctx.engine.changed();
  return { status: 204 };
};

function protocolOf(p: unknown): { name?: string; number: number } | undefined {
  if (p === undefined) return undefined;
  if (typeof p === 'number') {
    const name = Object.keys(PROTOCOLS).find((k) => PROTOCOLS[k] === p);
    return name ? { name, number: p } : { number: p };
  }
  const name = String(p);
  const number = PROTOCOLS[name];
  if (number === undefined) {
    throw badRequest(`protocol: ${quote(name)} is not one of ${Object.keys(PROTOCOLS).join(', ')}`);
  }
  return { name, number };
}

/** Rules are equal when they match the same traffic (Neutron refuses such duplicates). */
const sameTraffic = (a: SecurityGroupRule, b: SecurityGroupRule) =>
  a.direction === b.direction &&
  a.ethertype === b.ethertype &&
  a.protocol?.number === b.protocol?.number &&
  a.ipRange === b.ipRange &&
  a.remoteSecurityGroupId === b.remoteSecurityGroupId &&
  a.portRange?.min === b.portRange?.min &&
  a.portRange?.max === b.portRange?.max &&
  a.icmpParameters?.type === b.icmpParameters?.type &&
  a.icmpParameters?.code === b.icmpParameters?.code;

export const createSecurityGroupRule: Handler = (ctx) => {
  const group = findGroup(ctx);
  const body = requireBody(ctx.body);
  validateBody('CreateSecurityGroupRulePayload', body);
  const direction = body.direction;
  if (direction !== 'ingress' && direction !== 'egress') {
    throw badRequest(`direction: must be "ingress" or "egress", got ${quote(direction)}`);
  }
  const ethertype = body.ethertype ?? 'IPv4';
  if (ethertype !== 'IPv4' && ethertype !== 'IPv6') {
    throw badRequest(`ethertype: must be "IPv4" or "IPv6", got ${quote(ethertype)}`);
  }
  const protocol = protocolOf(body.protocol);
  const portRange = body.portRange as { min: number; max: number } | undefined;
  if (portRange) {
    if (!protocol || !PORT_PROTOCOLS.has(protocol.number)) {
      throw badRequest(
        'portRange: ports can only be given for the protocols tcp, udp, sctp, dccp and udplite',
      );
    }
    if (portRange.min > portRange.max) {
      throw badRequest(`portRange: min ${portRange.min} is greater than max ${portRange.max}`);
    }
  }
  const icmp = body.icmpParameters as { type: number; code: number } | undefined;
  if (icmp && (!protocol || !ICMP_PROTOCOLS.has(protocol.number))) {
    throw badRequest('icmpParameters: only allowed with the protocol icmp or ipv6-icmp');
  }
  const ipRange = body.ipRange as string | undefined;
  const remote = body.remoteSecurityGroupId as string | undefined;
  if (ipRange !== undefined && remote !== undefined) {
    throw badRequest('ipRange and remoteSecurityGroupId are mutually exclusive: give only one');
  }
  if (ipRange !== undefined && (parseCidr(ipRange) !== undefined) !== (ethertype === 'IPv4')) {
    throw badRequest(`ipRange: ${quote(ipRange)} does not match the ethertype ${ethertype}`);
  }
  if (remote !== undefined) {
    try {
      findGroup(ctx, remote);
    } catch {
      throw notFound(`security group not found: remoteSecurityGroupId ${quote(remote)}`);
    }
  }
  const now = nowIso(ctx);
  const rule: SecurityGroupRule = {
    id: newUuid(),
    securityGroupId: group.id,
    direction,
    ethertype,
    createdAt: now,
    updatedAt: now,
  };
  if (typeof body.description === 'string') rule.description = body.description;
  if (protocol) rule.protocol = protocol;
  if (portRange) rule.portRange = { min: portRange.min, max: portRange.max };
  if (icmp) rule.icmpParameters = { type: icmp.type, code: icmp.code };
  if (ipRange !== undefined) rule.ipRange = ipRange;
  if (remote !== undefined) rule.remoteSecurityGroupId = remote;
  const twin = (group.rules ?? []).find((r) => sameTraffic(r, rule));
  // CreateSecurityGroupRule documents no 409, so a duplicate is a 400.
  if (twin) throw badRequest(`security group rule already exists: ${twin.id} matches the same traffic`);
  group.rules = [...(group.rules ?? []), rule];
  group.updatedAt = now;
  ctx.engine.changed();
  return ok(rule, 201);
};
