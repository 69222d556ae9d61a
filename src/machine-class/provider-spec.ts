// The MachineClass `providerSpec` of the STACKIT driver: one zod schema that validates, types and
// documents it (docs/machine-class.md is generated from the descriptions here).
//
// Compatibility: the MachineClasses that gardener-extension-provider-stackit renders for the existing
// Go provider must validate unchanged. They carry `null` for unset fields (bootVolume.size,
// performanceClass, source.id) and render allowedAddresses with Go's `%v` ("[a b]"). So: `null`
// means unset everywhere, the `%v` forms are accepted, and unknown fields are warnings, not errors.

import { z } from 'zod';
import { type FieldError, formatPath, issuesToFieldErrors } from './field-error.ts';
import {
  genericNameMaxLength,
  genericNamePattern,
  isIpOrCidr,
  keypairNameMaxLength,
  keypairNamePattern,
  labelKeyPattern,
  labelMaxLength,
  labelValuePattern,
  metadataKeyPattern,
  metadataValueMaxLength,
  regionOfZone,
  regionPattern,
  reservedLabelPrefix,
  serviceAccountMailMaxLength,
  serviceAccountMailPattern,
  uuidExample,
  uuidPattern,
  zonePattern,
} from './patterns.ts';
import { doc, knownKeysAt, suggest } from './schema-walk.ts';
import { reservedLabelKeys, reservedMetadataKeys } from './server-identity.ts';

export type { FieldError } from './field-error.ts';
export { formatFieldErrors } from './field-error.ts';

const uuid = (what: string) =>
  z
    .string()
    .regex(uuidPattern, { error: `must be the UUID of ${what}, like ${uuidExample}` })
    .transform((s) => s.toLowerCase());

const genericName = (what: string, example: string) =>
  z
    .string()
    .max(genericNameMaxLength, { error: `must be at most ${genericNameMaxLength} characters` })
    .regex(genericNamePattern, {
      error: `must be ${what}: letters and digits, optionally joined by space, /, ., _ or -, like ${example}`,
    });

const uniqueList = <T extends z.ZodType<string>>(item: T, what: string) =>
  z.array(item).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      if (typeof v !== 'string') return;
      if (seen.has(v.toLowerCase()))
        ctx.addIssue({ code: 'custom', path: [i], message: `lists the same ${what} twice` });
      seen.add(v.toLowerCase());
    });
  });

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const labelsSchema = z
  .record(
    z.string(),
    z
      .string({ error: 'must be a string; quote numbers and booleans in YAML' })
      .max(labelMaxLength, { error: `must be at most ${labelMaxLength} characters` })
      .regex(labelValuePattern, {
        error:
          'must be empty or start and end with a letter or digit, with only letters, digits, -, _ and . between',
      }),
  )
  .superRefine(
    (labels, ctx) => {
      if (!isRecord(labels)) return;
      for (const key of Object.keys(labels)) {
        const problem = labelKeyProblem(key);
        if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem, params: { value: key } });
      }
    },
    { when: () => true },
  );

function labelKeyProblem(key: string): string | undefined {
  if (reservedLabelKeys.includes(key))
    return `this label key is set by the driver to tie the server to its Machine; remove it from providerSpec.labels (reserved: ${reservedLabelKeys.join(', ')})`;
  if (key.startsWith(reservedLabelPrefix))
    return `label keys starting with ${reservedLabelPrefix} are reserved by STACKIT`;
  if (key.length > labelMaxLength) return `label keys must be at most ${labelMaxLength} characters`;
  if (!labelKeyPattern.test(key))
    return 'label keys must start and end with a letter or digit, with only letters, digits, -, _, . and / between';
  return undefined;
}

const metadataSchema = z
  .record(z.string(), z.unknown())
  .superRefine(
    (metadata, ctx) => {
      if (!isRecord(metadata)) return;
      for (const [key, value] of Object.entries(metadata)) {
        if (reservedMetadataKeys.includes(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            params: { value: key },
            message: `this metadata key is set by the driver to tie the server to its Machine; use another key (reserved: ${reservedMetadataKeys.join(', ')})`,
          });
        } else if (!metadataKeyPattern.test(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            params: { value: key },
            message: 'metadata keys must be 1 to 255 letters, digits, spaces or - _ : .',
          });
        }
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
          ctx.addIssue({ code: 'custom', path: [key], message: 'must be a string, number or boolean' });
        } else if (String(value).length > metadataValueMaxLength) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `must be at most ${metadataValueMaxLength} characters`,
          });
        }
      }
    },
    { when: () => true },
  )
  // The API takes metadata values as text (`^.{0,255}$`).
  .transform(
    (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)])) as Record<string, string>,
  );

/** Go's `%v` of a slice ("[a b]"), its YAML reading (["a b"]), plain "a b" or "a,b": all become a list. */
export function normaliseAddressList(value: unknown): unknown {
  const split = (s: string) =>
    s
      .trim()
      .replace(/^\[/, '')
      .replace(/\]$/, '')
      .split(/[\s,]+/)
      .filter((x) => x !== '');
  if (typeof value === 'string') return split(value);
  if (Array.isArray(value)) return value.flatMap((v) => (typeof v === 'string' ? split(v) : [v]));
  return value;
}

const addressSchema = z.string().superRefine((s, ctx) => {
  if (!isIpOrCidr(s))
    ctx.addIssue({
      code: 'custom',
      params: { value: s },
      message: 'must be an IPv4 or IPv6 address or CIDR, like 10.96.0.0/11 or 2001:db8::/64',
    });
});

const regionSchema = z.string().superRefine((s, ctx) => {
  if (regionPattern.test(s)) return;
  const zoneRegion = regionOfZone(s);
  ctx.addIssue({
    code: 'custom',
    message:
      s === 'RegionOne'
        ? 'RegionOne is the OpenStack region name and is not valid for the STACKIT IaaS API; use eu01 (Gardener maps RegionOne to eu01)'
        : zoneRegion
          ? `is an availability zone, not a region; set region to ${zoneRegion} and the zone in availabilityZone`
          : 'must be a STACKIT region: two letters and two digits, like eu01 or eu02',
  });
});

const emptyToUndefined = (s: string) => (s === '' ? undefined : s);

const networkingSchema = z
  .strictObject({
    networkId: doc(
      uuid('a network').optional(),
      'The network to attach the server to; STACKIT creates the NIC.',
      {
        type: 'string (UUID)',
        required: 'one of networkId, nicIds',
        example: uuidExample,
      },
    ),
    nicIds: doc(
      uniqueList(uuid('a NIC'), 'NIC').min(1, { error: 'must list at least one NIC ID' }).optional(),
      'Pre-created network interfaces to attach, in order.',
      { type: 'list of strings (UUID)', required: 'one of networkId, nicIds' },
    ),
  })
  .superRefine(
    (n, ctx) => {
      if (!isRecord(n)) return;
      const hasNetwork = n.networkId !== undefined;
      const hasNics = n.nicIds !== undefined;
      if (hasNetwork && hasNics)
        ctx.addIssue({ code: 'custom', message: 'set either networkId or nicIds, not both' });
      if (!hasNetwork && !hasNics)
        ctx.addIssue({
          code: 'custom',
          message: 'must set networkId or nicIds; leave networking out to use the Secret’s networkId',
        });
    },
    { when: () => true },
  );

export const bootVolumeSourceTypes = ['image', 'volume', 'snapshot'] as const;

const bootVolumeSchema = z.strictObject({
  size: doc(
    z
      .number({ error: 'must be a number of GB' })
      .int({ error: 'must be a whole number of GB' })
      .positive({ error: 'must be at least 1 GB' })
      .optional(),
    'Boot volume size in GB. Unset: the size of the image.',
    { type: 'integer (GB)', example: '50' },
  ),
  performanceClass: doc(
    genericName('a volume performance class', 'storage_premium_perf1').optional(),
    'Volume performance class (STACKIT volume type). Unset: the project default.',
    { type: 'string', example: 'storage_premium_perf1' },
  ),
  deleteOnTermination: doc(
    z.boolean({ error: 'must be true or false' }).default(true),
    'Delete the boot volume with the server. Defaults to true here (the API defaults to false), so deleted Machines do not leave volumes behind.',
    { type: 'boolean', default: 'true', example: 'true' },
  ),
  source: doc(
    z
      .strictObject({
        type: doc(
          z.enum(bootVolumeSourceTypes, { error: 'must be image, volume or snapshot' }),
          'What the boot volume is made from: image, volume or snapshot. The API documents image and volume; snapshot is passed through as the existing provider does.',
          { type: 'string', required: 'Yes', example: 'image' },
        ),
        id: doc(
          uuid('the image, volume or snapshot').optional(),
          'UUID of the image, volume or snapshot. When unset with type image, imageId is used.',
          {
            type: 'string (UUID)',
            required: 'Yes, unless type is image and imageId is set',
            example: uuidExample,
          },
        ),
      })
      .optional(),
    'Where the boot volume comes from. Set this, or imageId, but not both with different images.',
    { type: 'object' },
  ),
});

export const providerSpecSchema = z.strictObject({
  machineType: doc(
    genericName('a STACKIT machine type', 'c2i.4'),
    'STACKIT machine type (flavor), e.g. c2i.4, g1a.8d.',
    { type: 'string', required: 'Yes', example: 'c2i.4' },
  ),
  imageId: doc(uuid('an image').optional(), 'UUID of the OS image to boot from.', {
    type: 'string (UUID)',
    required: 'Yes, unless bootVolume.source is set',
    example: uuidExample,
  }),
  region: doc(
    regionSchema.optional(),
    'STACKIT region, e.g. eu01 or eu02. Unset: the Secret’s region. RegionOne, the OpenStack name, is not valid here.',
    { type: 'string', required: 'Yes, here or in the Secret', example: 'eu01' },
  ),
  availabilityZone: doc(
    z
      .string()
      .regex(zonePattern, {
        error: 'must be an availability zone like eu01-1, eu01-2, eu01-3 or the metro zone eu01-m',
      })
      .optional(),
    'Availability zone, e.g. eu01-1, or the metro zone eu01-m. Must belong to the region. Unset: the boot volume’s zone, otherwise the metro zone.',
    { type: 'string', example: 'eu01-1' },
  ),
  labels: doc(
    labelsSchema.optional(),
    'Labels for the server. Keys and values up to 63 characters; keys may contain /. The driver adds kubernetes.io/machine, kubernetes.io/machineclass and machine.sapcloud.io/namespace itself; they and the stackit- prefix are reserved.',
    { type: 'map of string to string', example: '{kubernetes.io/cluster: shoot--project--name}' },
  ),
  networking: doc(
    networkingSchema.optional(),
    'Network setup: exactly one of networkId or nicIds. Unset: the Secret’s networkId.',
    { type: 'object', required: 'Yes, here or as networkId in the Secret' },
  ),
  securityGroups: doc(
    z.array(genericName('a security group name or ID', 'nodes')).optional(),
    'Security groups for the server, by name or ID. Unset: the project’s default group.',
    { type: 'list of strings', example: `[${uuidExample}]` },
  ),
  userData: doc(
    z.string({ error: 'must be a string of cloud-init user data' }).transform(emptyToUndefined).optional(),
    'Cloud-init user data as plain text (the driver base64-encodes it). Overrides the Secret’s userData. MCM substitutes <<BOOTSTRAP_TOKEN>> only in the Secret’s userData, so a providerSpec userData cannot join a Gardener cluster; the driver substitutes <<MACHINE_NAME>> in it. Never shown in errors or logs.',
    { type: 'string' },
  ),
  bootVolume: doc(
    bootVolumeSchema.optional(),
    'Boot disk settings. Without source, the volume is made from imageId.',
    { type: 'object' },
  ),
  volumes: doc(uniqueList(uuid('a volume'), 'volume').optional(), 'Existing volumes to attach at creation.', {
    type: 'list of strings (UUID)',
    example: `[${uuidExample}]`,
  }),
  keypairName: doc(
    z
      .string()
      .max(keypairNameMaxLength, { error: `must be at most ${keypairNameMaxLength} characters` })
      .regex(keypairNamePattern, { error: 'may contain only letters, digits and @ . _ -' })
      .transform(emptyToUndefined)
      .optional(),
    'Name of an existing SSH keypair to install.',
    { type: 'string', example: 'my-keypair' },
  ),
  affinityGroup: doc(uuid('an affinity group').optional(), 'Affinity group for placement.', {
    type: 'string (UUID)',
    example: uuidExample,
  }),
  serviceAccountMails: doc(
    z
      .array(
        z
          .string()
          .max(serviceAccountMailMaxLength, {
            error: `must be at most ${serviceAccountMailMaxLength} characters`,
          })
          .regex(serviceAccountMailPattern, {
            error: 'must be a service account e-mail in lowercase, like my-sa@sa.stackit.cloud',
          }),
      )
      // A length check would hide the items' errors (zod checks length first), hence superRefine.
      .superRefine(
        (list, ctx) => {
          if (Array.isArray(list) && list.length > 1)
            ctx.addIssue({ code: 'custom', message: 'may hold at most one service account (an API limit)' });
        },
        { when: () => true },
      )
      .optional(),
    'Service account to attach to the server; at most one.',
    { type: 'list of strings (e-mail)', example: '[my-sa@sa.stackit.cloud]' },
  ),
  agent: doc(
    z
      .strictObject({
        provisioned: doc(
          z.boolean({ error: 'must be true or false' }).optional(),
          'Install the STACKIT server agent at first boot (true) or not (false). Unset: the image’s default.',
          { type: 'boolean', example: 'true' },
        ),
      })
      .optional(),
    'STACKIT server agent settings.',
    { type: 'object' },
  ),
  metadata: doc(
    metadataSchema.optional(),
    'Server metadata. Keys: 1 to 255 letters, digits, spaces or - _ : . ; values: strings, numbers or booleans up to 255 characters, stored as text. Keys kubernetes.io-machine, kubernetes.io-machineclass, machine.sapcloud.io-namespace and managed-by are reserved for the driver.',
    { type: 'map of string to string, number or boolean', example: '{cost-center: "1234"}' },
  ),
  allowedAddresses: doc(
    z.preprocess(normaliseAddressList, z.array(addressSchema)).optional(),
    'Extra source addresses (CIDRs) the server’s NICs accept, e.g. the pod network for native routing; patched onto the NICs after creation. Also accepts the one-string form Gardener renders, "[10.96.0.0/11 100.64.0.0/12]".',
    { type: 'list of strings (CIDR)', example: '[10.96.0.0/11]' },
  ),
});

/** The validated providerSpec (nulls removed, UUIDs lowercased, deleteOnTermination defaulted). */
export type ProviderSpec = z.output<typeof providerSpecSchema>;

export type ParseProviderSpecResult =
  | { ok: true; spec: ProviderSpec; warnings: string[] }
  | { ok: false; errors: FieldError[]; warnings: string[] };

const root = 'providerSpec';
const isHidden = (path: readonly PropertyKey[]) => path[0] === 'userData';

/** Validates a MachineClass providerSpec (parsed JSON), reporting every problem at once. Never throws. */
export function parseProviderSpec(raw: unknown): ParseProviderSpecResult {
  if (!isRecord(raw)) {
    return {
      ok: false,
      errors: [{ path: root, message: 'must be an object with fields such as machineType and imageId' }],
      warnings: [],
    };
  }
  const input = withoutNulls(raw) as Record<string, unknown>;
  const first = providerSpecSchema.safeParse(input);
  const issues = first.success ? [] : first.error.issues;
  const warnings: string[] = [];
  const unknownPaths: PropertyKey[][] = [];
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = knownKeysAt(providerSpecSchema, issue.path) ?? [];
    for (const key of issue.keys) {
      unknownPaths.push([...issue.path, key]);
      const hint = suggest(key, known);
      warnings.push(
        `${formatPath(root, [...issue.path, key])}: unknown field, ignored${hint ? `; did you mean ${hint}?` : ''}`,
      );
    }
  }
  const errors = issuesToFieldErrors(
    issues.filter((i) => i.code !== 'unrecognized_keys'),
    { root, input, isHidden },
  );
  errors.push(...crossFieldErrors(input));
  if (errors.length > 0) return { ok: false, errors, warnings };

  let spec: ProviderSpec;
  if (first.success) spec = first.data;
  else {
    // Only unknown fields failed the strict parse: drop them and parse again.
    const cleaned = structuredClone(input);
    for (const p of unknownPaths) deleteAt(cleaned, p);
    const second = providerSpecSchema.safeParse(cleaned);
    if (!second.success) {
      return {
        ok: false,
        errors: issuesToFieldErrors(second.error.issues, { root, input: cleaned, isHidden }),
        warnings,
      };
    }
    spec = second.data;
  }
  // A source without id boots the image given in imageId (what the existing provider does).
  if (spec.bootVolume?.source && spec.bootVolume.source.id === undefined && spec.imageId !== undefined) {
    spec.bootVolume.source.id = spec.imageId;
  }
  return { ok: true, spec, warnings };
}

/** Rules between fields, checked on the raw input so they are reported alongside per-field errors. */
function crossFieldErrors(input: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  const imageId = typeof input.imageId === 'string' ? input.imageId.toLowerCase() : undefined;
  const bootVolume = isRecord(input.bootVolume) ? input.bootVolume : undefined;
  const source = bootVolume && isRecord(bootVolume.source) ? bootVolume.source : undefined;
  const sourceId = source && typeof source.id === 'string' ? source.id.toLowerCase() : undefined;

  if (input.imageId === undefined && bootVolume?.source === undefined) {
    errors.push({
      path: `${root}.imageId`,
      message: 'is required unless bootVolume.source is set: give the UUID of the image to boot from',
    });
  }
  if (source && source.id === undefined) {
    if (source.type !== 'image' || input.imageId === undefined) {
      errors.push({
        path: `${root}.bootVolume.source.id`,
        message:
          source.type === 'image'
            ? 'is required: the UUID of the image, or set imageId. Gardener renders null here when the cloud profile names the image without an ID for this region; add the image ID to the cloud profile'
            : 'is required: the UUID of the volume or snapshot to boot from',
      });
    }
  }
  if (imageId !== undefined && sourceId !== undefined && (source?.type !== 'image' || imageId !== sourceId)) {
    errors.push({
      path: `${root}.imageId`,
      message:
        'conflicts with bootVolume.source: boot either from imageId or from bootVolume.source, not both',
    });
  }
  const zone = input.availabilityZone;
  const region = input.region;
  if (typeof zone === 'string' && typeof region === 'string') {
    const zoneRegion = regionOfZone(zone);
    if (zoneRegion !== undefined && regionPattern.test(region) && zoneRegion !== region) {
      errors.push({
        path: `${root}.availabilityZone`,
        message: `is in region ${zoneRegion}, not in the configured region ${region}`,
        value: JSON.stringify(zone),
      });
    }
  }
  return errors;
}

/** `null` means unset: drop null-valued object fields at every depth (list items stay, and fail). */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      // defineProperty: a JSON key `__proto__` must stay a plain field.
      if (v !== null && v !== undefined)
        Object.defineProperty(out, k, {
          value: withoutNulls(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return out;
  }
  return value;
}

function deleteAt(obj: unknown, path: readonly PropertyKey[]): void {
  let cur: unknown = obj;
  for (const seg of path.slice(0, -1)) {
    if (!isRecord(cur)) return;
    cur = cur[seg as string];
  }
  if (isRecord(cur)) delete cur[path[path.length - 1] as string];
}
