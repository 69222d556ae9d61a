// The seed file's schema (zod): the keys the simulator relies on are typed, the rest of each
// resource passes through as the spec shapes it. Errors name the path, e.g.
// `projects[0].networks[1].ipv4.prefixes[0]`.
import { z } from 'zod';
import { AFFINITY_POLICIES } from './affinity-groups.ts';
import { md5Fingerprint, parseSshPublicKey } from './ssh-keys.ts';
import type { PartialSeed } from './types.ts';

const CIDR_V4 = /^(\d{1,3}\.){3}\d{1,3}\/(3[0-2]|[12]?\d)$/;
const IPV4 = /^(\d{1,3}\.){3}\d{1,3}$/;

const labels = z.record(z.string(), z.string());
const region = z.string().min(1).optional();

const regionSeed = z.strictObject({
  name: z.string().min(1),
  availabilityZones: z.array(z.string().min(1)).min(1),
});

const machineType = z.looseObject({
  name: z.string().min(1),
  vcpus: z.number().int().positive(),
  ram: z.number().int().positive(),
  disk: z.number().int().min(0),
  description: z.string().optional(),
  extraSpecs: z.record(z.string(), z.unknown()).optional(),
});

const image = z.looseObject({
  id: z.string(),
  name: z.string().min(1),
  minDiskSize: z.number().int().min(0).optional(),
  labels: labels.optional(),
});

const keypair = z
  .looseObject({
    name: z.string().regex(/^[A-Za-z0-9@._-]{1,127}$/, 'letters, digits and @._- (1-127 characters)'),
    publicKey: z.string(),
    fingerprint: z.string().optional(),
    labels: labels.optional(),
  })
  .transform((k, ctx) => {
    const key = parseSshPublicKey(k.publicKey);
    if (typeof key === 'string') {
      ctx.addIssue({ code: 'custom', path: ['publicKey'], message: `not a valid SSH public key: ${key}` });
      return z.NEVER;
    }
    return { ...k, fingerprint: k.fingerprint ?? md5Fingerprint(key.blob), labels: k.labels ?? {} };
  });

const network = z.looseObject({
  id: z.string(),
  name: z.string().min(1),
  status: z.string().default('CREATED'),
  dhcp: z.boolean().optional(),
  routed: z.boolean().optional(),
  labels: labels.default({}),
  ipv4: z.looseObject({
    prefixes: z.array(z.string().regex(CIDR_V4, 'an IPv4 CIDR such as 10.0.0.0/24')).min(1),
    gateway: z.string().regex(IPV4, 'an IPv4 address').nullable().optional(),
    nameservers: z.array(z.string().regex(IPV4, 'an IPv4 address')).max(3).optional(),
  }),
  region,
});

const rule = z.looseObject({
  id: z.string().optional(),
  direction: z.enum(['ingress', 'egress']),
  ethertype: z.enum(['IPv4', 'IPv6']).default('IPv4'),
});

const securityGroup = z.looseObject({
  id: z.string(),
  name: z.string().min(1),
  description: z.string().optional(),
  stateful: z.boolean().default(true),
  labels: labels.default({}),
  rules: z.array(rule).default([]),
  region,
});

const affinityGroup = z.looseObject({
  id: z.string(),
  name: z.string().min(1),
  policy: z.enum(AFFINITY_POLICIES as [string, ...string[]]),
  region,
});

const volume = z.looseObject({
  id: z.string(),
  availabilityZone: z.string().min(1),
  size: z.number().int().positive().optional(),
  bootable: z.boolean().optional(),
  status: z.string().optional(),
  labels: labels.optional(),
  region,
});

const nic = z.looseObject({
  id: z.string(),
  networkId: z.string(),
  labels: labels.optional(),
  region,
});

const project = z.strictObject({
  id: z.string(),
  name: z.string().optional(),
  regions: z.array(z.string().min(1)).optional(),
  networks: z.array(network).optional(),
  securityGroups: z.array(securityGroup).optional(),
  affinityGroups: z.array(affinityGroup).optional(),
  volumes: z.array(volume).optional(),
  nics: z.array(nic).optional(),
});

export const seedFileSchema = z.strictObject({
  regions: z.array(regionSeed).min(1).optional(),
  machineTypes: z.array(machineType).min(1).optional(),
  images: z.array(image).optional(),
  keypairs: z.array(keypair).optional(),
  projects: z.array(project).min(1).optional(),
});

/** `projects[0].networks[1].id` from zod's path array. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out || '(top level)';
}

/** Checks untrusted seed input; throws one Error listing every problem with its path. */
export function parseSeedInput(input: unknown): PartialSeed {
  const r = seedFileSchema.safeParse(input);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
    throw new Error(`invalid seed data:\n  ${lines.join('\n  ')}`);
  }
  return r.data as unknown as PartialSeed;
}
