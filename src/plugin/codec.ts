// Wire <-> driver types. Kubernetes objects arrive as JSON bytes (empty = nil on the Go side);
// Secret data is base64 as in the Kubernetes API and becomes Buffers here.
import type {
  GetVolumeIdsRequest,
  ListMachinesRequest,
  Machine,
  MachineClass,
  MachineIdentity,
  MachineRequest,
  NodeAddress,
  PersistentVolumeSpec,
  SecretData,
} from '../driver/types.ts';
import { Code } from '../mcm/codes.ts';
import { MachineError } from '../mcm/errors.ts';
import type { NodeAddress as WireAddress } from './generated/stackit/driver/v1/driver.ts';

interface WireMachineRequest {
  machine: Buffer;
  machineClass: Buffer;
  secret: Buffer;
  creationTimeoutMs?: number;
}

function parseObject(bytes: Buffer, what: string): Record<string, unknown> | undefined {
  if (bytes.length === 0) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch {
    // Never echo the bytes: they may be the Secret.
    throw new MachineError(Code.InvalidArgument, `${what} is not valid JSON`);
  }
  if (v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new MachineError(Code.InvalidArgument, `${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function required<T>(bytes: Buffer, what: string): T {
  const v = parseObject(bytes, what);
  if (v === undefined) throw new MachineError(Code.InvalidArgument, `request has no ${what}`);
  return v as T;
}

/** core/v1 Secret JSON -> decoded data; a nil Secret is empty data. */
export function decodeSecret(bytes: Buffer): SecretData {
  const secret = parseObject(bytes, 'Secret');
  const data = secret?.data;
  const out: SecretData = {};
  if (data === undefined || data === null) return out;
  if (typeof data !== 'object' || Array.isArray(data))
    throw new MachineError(Code.InvalidArgument, 'Secret data is not a map');
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string')
      throw new MachineError(Code.InvalidArgument, `Secret data key ${k} is not a base64 string`);
    out[k] = Buffer.from(v, 'base64');
  }
  return out;
}

export function decodeMachineRequest(w: WireMachineRequest): MachineRequest {
  return {
    machine: required<Machine>(w.machine, 'Machine'),
    machineClass: required<MachineClass>(w.machineClass, 'MachineClass'),
    secret: decodeSecret(w.secret),
    creationTimeoutMs: w.creationTimeoutMs ? w.creationTimeoutMs : undefined,
  };
}

export function decodeListRequest(w: {
  machineClass: Buffer;
  secret: Buffer;
  machineProviderIds?: Record<string, string>;
  machinesListed?: boolean;
}): ListMachinesRequest {
  return {
    machineClass: required<MachineClass>(w.machineClass, 'MachineClass'),
    secret: decodeSecret(w.secret),
    // proto3 cannot tell an empty map from an absent one: the flag says whether the bridge listed.
    machines: w.machinesListed ? { ...(w.machineProviderIds ?? {}) } : undefined,
  };
}

export function decodeVolumesRequest(w: { pvSpecs: Buffer[] }): GetVolumeIdsRequest {
  return {
    pvSpecs: w.pvSpecs.map(
      (b, i) => (parseObject(b, `PersistentVolumeSpec ${i}`) ?? {}) as PersistentVolumeSpec,
    ),
  };
}

export const encodeAddresses = (a: NodeAddress[] | undefined): WireAddress[] =>
  (a ?? []).map(({ type, address }) => ({ type, address }));

/** The identity fields of a (possibly partial) response. */
export const encodeIdentity = (id: Partial<MachineIdentity> | undefined) => ({
  providerId: id?.providerId ?? '',
  nodeName: id?.nodeName ?? '',
  addresses: encodeAddresses(id?.addresses),
});
