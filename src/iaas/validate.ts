// Response validation at the boundary: the fields the product reads must be present and typed, other
// fields pass through untouched (the API may add fields at any time). A failure yields a sentence such
// as "a server without `id` (items[3])" built from field paths only, never from values: a detailed
// server carries userData.

import { z } from 'zod';
import type {
  AffinityGroup,
  Image,
  Keypair,
  MachineType,
  Network,
  Nic,
  SecurityGroup,
  Server,
  Volume,
} from './types.ts';

const str = z.string();
const optStr = z.string().optional();
const optNum = z.number().optional();
const optBool = z.boolean().optional();
const strList = z.array(z.string()).optional();
const labels = z.record(z.string(), z.string()).optional();

const serverNicSchema = z.looseObject({
  nicId: str,
  networkId: str,
  mac: optStr,
  networkName: optStr,
  nicSecurity: optBool,
  ipv4: optStr,
  ipv6: optStr,
  publicIp: optStr,
  allowedAddresses: strList,
  securityGroups: strList,
});

const serverSchema = z.looseObject({
  id: str,
  name: str,
  machineType: str,
  status: str,
  powerStatus: optStr,
  errorMessage: optStr,
  availabilityZone: optStr,
  imageId: optStr,
  keypairName: optStr,
  affinityGroup: optStr,
  createdAt: optStr,
  launchedAt: optStr,
  updatedAt: optStr,
  labels,
  metadata: z.record(z.string(), z.unknown()).optional(),
  nics: z.array(serverNicSchema).optional(),
  volumes: strList,
  userData: optStr,
});

const nicSchema = z.looseObject({
  id: str,
  networkId: str,
  allowedAddresses: strList,
  ipv4: optStr,
  ipv6: optStr,
  mac: optStr,
  device: optStr,
  status: optStr,
  type: optStr,
  nicSecurity: optBool,
  securityGroups: strList,
  labels,
});

const machineTypeSchema = z.looseObject({ name: str, vcpus: optNum, ram: optNum, disk: optNum });
const imageSchema = z.looseObject({ id: str, name: str, status: optStr, labels });
const keypairSchema = z.looseObject({ name: str, publicKey: optStr, fingerprint: optStr, labels });
const affinityGroupSchema = z.looseObject({ id: str, name: str, policy: optStr, members: strList });
const securityGroupSchema = z.looseObject({ id: str, name: str, labels });
const networkSchema = z.looseObject({ id: str, name: str, status: optStr, labels });
const volumeSchema = z.looseObject({
  id: str,
  name: optStr,
  availabilityZone: optStr,
  status: optStr,
  serverId: optStr,
  size: optNum,
  labels,
});
const errorBodySchema = z.looseObject({ code: z.number(), msg: z.string() });

/** A response body that does not have the shape the product relies on. */
export class BodyProblem extends Error {
  constructor(problem: string) {
    super(problem);
    this.name = 'BodyProblem';
  }
}

interface Check<T> {
  one(body: unknown): T;
  list(body: unknown): T[];
}

function checker<T>(schema: z.ZodType, noun: string): Check<T> {
  const listSchema = z.looseObject({ items: z.array(schema) });
  return {
    one(body) {
      const r = schema.safeParse(body, { reportInput: true });
      if (!r.success) throw new BodyProblem(describe(r.error.issues, noun, false));
      return r.data as T;
    },
    list(body) {
      const r = listSchema.safeParse(body, { reportInput: true });
      if (!r.success) throw new BodyProblem(describe(r.error.issues, noun, true));
      return r.data.items as T[];
    },
  };
}

function describe(issues: z.core.$ZodIssue[], noun: string, isList: boolean): string {
  const first = issues[0];
  if (!first) return `${noun} that does not match the API`;
  let path = first.path;
  let what = noun;
  let where = '';
  if (isList) {
    if (path[0] === 'items' && typeof path[1] === 'number') {
      where = ` (items[${path[1]}])`;
      path = path.slice(2);
    } else {
      what = 'a body';
    }
  }
  const more =
    issues.length > 1 ? ` and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''}` : '';
  // JSON has no undefined: an undefined input is a missing field.
  const missing = first.code === 'invalid_type' && first.input === undefined;
  if (path.length === 0) {
    const expectedType = first.code === 'invalid_type' ? first.expected : undefined;
    if (expectedType === 'object' || expectedType === undefined)
      return `${what} that is not a JSON object${where}${more}`;
    return `${what} of the wrong type${where} (expected ${expectedType})${more}`;
  }
  const field = formatPath(path);
  if (missing) return `${what} without \`${field}\`${where}${more}`;
  const expected = first.code === 'invalid_type' ? ` (expected ${first.expected})` : '';
  return `${what} with an invalid \`${field}\`${where}${expected}${more}`;
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}

export const checkServer = checker<Server>(serverSchema, 'a server');
export const checkNic = checker<Nic>(nicSchema, 'a NIC');
export const checkMachineType = checker<MachineType>(machineTypeSchema, 'a machine type');
export const checkImage = checker<Image>(imageSchema, 'an image');
export const checkKeypair = checker<Keypair>(keypairSchema, 'a keypair');
export const checkAffinityGroup = checker<AffinityGroup>(affinityGroupSchema, 'an affinity group');
export const checkSecurityGroup = checker<SecurityGroup>(securityGroupSchema, 'a security group');
export const checkNetwork = checker<Network>(networkSchema, 'a network');
export const checkVolume = checker<Volume>(volumeSchema, 'a volume');
export const checkAvailabilityZone = checker<string>(str, 'an availability zone');

/** The spec's `{code, msg}` error body, or undefined when the body is something else. */
export function parseErrorBody(body: unknown): { code: number; msg: string } | undefined {
  const r = errorBodySchema.safeParse(body);
  return r.success ? { code: r.data.code, msg: r.data.msg } : undefined;
}
