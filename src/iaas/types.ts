// Request and response types, all derived from the generated spec types. Two corrections:
// - the spec's `format: json` objects (labels, metadata) come out of openapi-typescript as
//   Record<string, never>; here they get their documented shapes (string values, null removes a key);
// - fields the response validation guarantees (e.g. Server.id, Server.status) are required, and
//   fields the SDK requires but the product does not read are optional, so the type never promises
//   more than the validation checked.

import type { components } from './generated/iaas-v2.ts';

type Schemas = components['schemas'];
type Fix<T, Changes> = Omit<T, keyof Changes> & Changes;

export type Labels = Record<string, string>;
/** On update a `null` value removes the key. */
export type LabelsPatch = Record<string, string | null>;
export type Metadata = Record<string, unknown>;
export type MetadataPatch = Record<string, string | null>;

export type ServerNic = Fix<
  Schemas['ServerNetwork'],
  { mac?: string | undefined; networkName?: string | undefined; nicSecurity?: boolean | undefined }
>;

export type Server = Fix<
  Schemas['Server'],
  {
    readonly id: string;
    readonly status: string;
    labels?: Labels;
    metadata?: Metadata;
    /** Only with `details: true`. */
    readonly nics?: ServerNic[];
  }
>;

type ReadOnlyServerFields =
  | 'id'
  | 'status'
  | 'powerStatus'
  | 'errorMessage'
  | 'createdAt'
  | 'launchedAt'
  | 'updatedAt'
  | 'maintenanceWindow'
  | 'nics';

export type CreateServerPayload = Fix<
  Omit<Schemas['CreateServerPayload'], ReadOnlyServerFields>,
  { labels?: Labels; metadata?: Record<string, string> }
>;

export type UpdateServerPayload = Fix<
  Schemas['UpdateServerPayload'],
  { labels?: LabelsPatch; metadata?: MetadataPatch }
>;

export type Nic = Fix<
  Schemas['NIC'],
  { readonly id: string; readonly networkId: string; nicSecurity?: boolean | undefined; labels?: Labels }
>;

export type UpdateNicPayload = Fix<Schemas['UpdateNicPayload'], { labels?: LabelsPatch }>;

export type MachineType = Fix<
  Schemas['MachineType'],
  {
    vcpus?: number | undefined;
    ram?: number | undefined;
    disk?: number | undefined;
    extraSpecs?: Record<string, unknown>;
  }
>;

export type Image = Fix<
  Schemas['Image'],
  { readonly id: string; diskFormat?: string | undefined; labels?: Labels }
>;

export type Keypair = Fix<
  Schemas['Keypair'],
  { name: string; publicKey?: string | undefined; labels?: Labels }
>;

export type AffinityGroup = Fix<
  Schemas['AffinityGroup'],
  { readonly id: string; policy?: string | undefined }
>;

export type SecurityGroup = Fix<Schemas['SecurityGroup'], { readonly id: string; labels?: Labels }>;

export type Network = Fix<Schemas['Network'], { status?: string | undefined; labels?: Labels }>;

export type Volume = Fix<
  Schemas['Volume'],
  { readonly id: string; availabilityZone?: string | undefined; labels?: Labels }
>;
