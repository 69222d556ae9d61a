// Networks: List, Get, Create (IPv4 prefix given, or a prefix length allocated from the project's
// default range), CreateIsolatedNetwork (what Gardener's STACKIT extension creates for a shoot),
// PartialUpdate and Delete (refused while NICs are in the network).
import type { components } from '../iaas/generated/iaas-v2.ts';
import { badRequest, conflict, IaasError } from './api-error.ts';
import { type Handler, type OpContext, ok } from './context.ts';
import { intToIp, ipToInt, parseCidr } from './ipam.ts';
import { newLabels, patchedLabels } from './labels.ts';
import { findRegional, regional } from './lookup.ts';
import { listSelected } from './query.ts';
import { renderNetwork } from './render.ts';
import { isObject, labelledBody, nowIso, quote, scope } from './request.ts';
import type { NetworkRecord, ProjectRecord } from './store.ts';
import { newUuid } from './uuid.ts';

type PartialUpdateNetworkPayload = components['schemas']['PartialUpdateNetworkPayload'];

/** Where prefixes requested by length come from (the project's network area, modelled). */
export const DEFAULT_NETWORK_RANGE = '10.0.0.0/8';
/** Prefix length when a create request gives no IPv4 part at all (STACKIT's area default). */
export const DEFAULT_PREFIX_LENGTH = 25;

const notModelled = (what: string) => new IaasError(501, `${what} is not modelled by the STACKIT simulator`);

const cidrRange = (cidr: string) => {
  const r = parseCidr(cidr);
  return r ? { first: r.base, last: r.base + r.size - 1 } : undefined;
};

function overlapping(project: ProjectRecord, region: string, cidr: string): NetworkRecord | undefined {
  const want = cidrRange(cidr);
  if (!want) return undefined;
  // Isolated (unrouted) networks may overlap anything; routed ones share one address space.
  return [...project.networks.values()].find(
    (n) =>
      n.region === region &&
      n.routed !== false &&
      (n.ipv4?.prefixes ?? []).some((p) => {
        const r = cidrRange(p);
        return r !== undefined && r.first <= want.last && want.first <= r.last;
      }),
  );
}

function allocatePrefix(project: ProjectRecord, region: string, length: number): string | undefined {
  const pool = cidrRange(DEFAULT_NETWORK_RANGE)!;
  const size = 2 ** (32 - length);
  for (let base = pool.first; base + size - 1 <= pool.last; base += size) {
    const cidr = `${intToIp(base)}/${length}`;
    if (!overlapping(project, region, cidr)) return cidr;
  }
  return undefined;
}

const networks = (p: ProjectRecord) => p.networks;

export const findNetwork = (ctx: OpContext): NetworkRecord =>
  findRegional(ctx, networks, ctx.params.networkId ?? '', 'network');

export const listNetworks: Handler = (ctx) => listSelected(ctx, regional(ctx, networks), renderNetwork);

export const getNetwork: Handler = (ctx) => ok(renderNetwork(findNetwork(ctx)));

function checkGateway(field: string, gateway: unknown, prefix: string): void {
  if (gateway === null || gateway === undefined) return;
  const ip = ipToInt(String(gateway));
  const r = cidrRange(prefix);
  if (ip === undefined || !r || ip <= r.first || ip >= r.last) {
    throw badRequest(`${field}: gateway ${quote(gateway)} is not a host address of ${quote(prefix)}`);
  }
}

/** The IPv4 part of a create request: an explicit prefix, or a length to allocate. */
function networkIpv4(
  ctx: OpContext,
  ipv4: Record<string, unknown> | undefined,
  routed: boolean,
): NonNullable<NetworkRecord['ipv4']> {
  const { project, region } = scope(ctx);
  if (ipv4?.vpcNetworkRangeId !== undefined) throw notModelled('ipv4.vpcNetworkRangeId');
  const nameservers = (ipv4?.nameservers as string[] | undefined)?.map((s) => s.trim()) ?? [];
  let prefix: string;
  let gateway: string | null | undefined = ipv4?.gateway as string | null | undefined;
  if (typeof ipv4?.prefix === 'string') {
    prefix = ipv4.prefix;
    const r = parseCidr(prefix);
    const bits = Number(prefix.split('/')[1]);
    if (!r || bits < 8 || bits > 29) {
      throw badRequest(`ipv4.prefix: ${quote(prefix)} must be an IPv4 CIDR with a prefix length of 8 to 29`);
    }
    if (ipToInt(prefix.split('/')[0]!) !== r.base) {
      throw badRequest(`ipv4.prefix: ${quote(prefix)} is not a network address (host bits are set)`);
    }
    checkGateway('ipv4.gateway', gateway, prefix);
    const other = routed ? overlapping(project, region, prefix) : undefined;
    if (other) {
      throw conflict(
        `ipv4.prefix: ${quote(prefix)} overlaps network ${other.id} (${(other.ipv4?.prefixes ?? []).join(', ')})`,
      );
    }
  } else {
    const length = typeof ipv4?.prefixLength === 'number' ? ipv4.prefixLength : DEFAULT_PREFIX_LENGTH;
    const got = allocatePrefix(project, region, length);
    if (!got) {
      throw conflict(`ipv4.prefixLength: no free /${length} prefix left in ${DEFAULT_NETWORK_RANGE}`);
    }
    prefix = got;
  }
  // No gateway given: the first host address; null: no gateway.
  if (gateway === undefined) gateway = intToIp(cidrRange(prefix)!.first + 1);
  else if (typeof gateway === 'string') gateway = gateway.trim();
  const out: NonNullable<NetworkRecord['ipv4']> = { prefixes: [prefix], nameservers };
  if (gateway !== null) out.gateway = gateway;
  const publicIp = ctx.engine.store.allocatePublicIp();
  if (publicIp !== undefined) out.publicIp = publicIp;
  return out;
}

function create(ctx: OpContext, schema: string, isolated: boolean) {
  const { project, region } = scope(ctx);
  const body = labelledBody<Record<string, unknown>>(ctx, schema, false);
  for (const field of ['ipv6', 'routingTableId', 'vpcId']) {
    if (body[field] !== undefined) throw notModelled(field);
  }
  const routed = isolated ? false : body.routed !== false;
  const ipv4 = networkIpv4(ctx, isObject(body.ipv4) ? body.ipv4 : undefined, routed);
  const now = nowIso(ctx);
  const n: NetworkRecord = {
    id: newUuid(),
    region,
    name: String(body.name),
    status: 'CREATED',
    dhcp: body.dhcp !== false,
    routed,
    labels: newLabels(body.labels),
    ipv4,
    createdAt: now,
    updatedAt: now,
  };
  project.networks.set(n.id, n);
  ctx.engine.changed();
  return ok(renderNetwork(n), 202);
}

export const createNetwork: Handler = (ctx) => create(ctx, 'CreateNetworkPayload', false);

export const createIsolatedNetwork: Handler = (ctx) => create(ctx, 'CreateIsolatedNetworkPayload', true);

export const partialUpdateNetwork: Handler = (ctx) => {
  const n = findNetwork(ctx);
  const b = labelledBody<PartialUpdateNetworkPayload>(ctx, 'PartialUpdateNetworkPayload', true);
  for (const field of ['ipv6', 'routingTableId']) {
    if (b[field] !== undefined) throw notModelled(field);
  }
  if (b.ipv4?.gateway !== undefined && n.ipv4?.prefixes[0]) {
    checkGateway('ipv4.gateway', b.ipv4.gateway, n.ipv4.prefixes[0]);
  }
  // Everything is checked: apply.
  if (b.name !== undefined) n.name = b.name;
  if (b.dhcp !== undefined) n.dhcp = b.dhcp;
  if (b.routed !== undefined) n.routed = b.routed;
  if (b.labels !== undefined) n.labels = patchedLabels(n.labels, b.labels);
  if (b.ipv4 && n.ipv4) {
    if (b.ipv4.gateway === null) delete n.ipv4.gateway;
    else if (b.ipv4.gateway !== undefined) n.ipv4.gateway = b.ipv4.gateway.trim();
    if (b.ipv4.nameservers !== undefined) n.ipv4.nameservers = b.ipv4.nameservers.map((s) => s.trim());
  }
  n.updatedAt = nowIso(ctx);
  ctx.engine.changed();
  return { status: 202 };
};

export const deleteNetwork: Handler = (ctx) => {
  const { project } = scope(ctx);
  const n = findNetwork(ctx);
  const { store } = ctx.engine;
  const nics = [...store.nics.values()].filter((nic) => nic.networkId === n.id);
  if (nics.length > 0) {
    throw conflict(
      `network ${n.id} is still in use: ${nics.length} network interface(s) are in it (e.g. ${nics[0]!.id})`,
    );
  }
  project.networks.delete(n.id);
  store.releasePublicIp(n.ipv4?.publicIp);
  ctx.engine.changed();
  return { status: 202 };
};
