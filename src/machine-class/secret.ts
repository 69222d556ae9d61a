// The request Secret: MCM merges the MachineClass's secretRef and credentialsSecretRef (the latter
// wins on equal keys) and hands the driver the data as bytes.
//
// Two key vocabularies are accepted:
//   - the seed README's: projectId, serviceAccountKey, region, userData, networkId
//   - the existing Go provider's (what Gardener's cloudprovider Secret holds): project-id, serviceaccount.json
// When both names of one value are present, the Go provider's name wins: in Gardener it comes from
// credentialsSecretRef, the Secret Gardener manages and rotates, and MCM lets that Secret win too.
// Differing values are reported as a warning naming both keys (never the values).
//
// Optional extras: `privateKey` (PEM, for keys created from your own key pair, which lack
// credentials.privateKey; the SDK's STACKIT_PRIVATE_KEY) and `accessToken` (a static bearer token,
// e.g. for short tests; it expires and is not refreshed). With both a key and a token, the key is used.

import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import type { ServiceAccountKey } from '../iaas/auth/service-account-key.ts';
import type { FieldError } from './field-error.ts';
import { displayValue, formatPath } from './field-error.ts';
import { regionOfZone, regionPattern, uuidExample, uuidPattern } from './patterns.ts';
import { suggest } from './schema-walk.ts';
import { checkServiceAccountKey, rsaPrivateKeyProblem } from './service-account-key.ts';

export interface SecretKeyDoc {
  key: string;
  aliases: readonly string[];
  required: string;
  description: string;
}

/** The Secret's keys, in the order the docs list them; the parser reads exactly these. */
export const secretKeyDocs: readonly SecretKeyDoc[] = [
  {
    key: 'projectId',
    aliases: ['project-id'],
    required: 'Yes',
    description: 'STACKIT project UUID.',
  },
  {
    key: 'serviceAccountKey',
    aliases: ['serviceaccount.json'],
    required: 'Yes, unless accessToken is set',
    description:
      'Service account key JSON from the STACKIT portal (Service Accounts → Create Key). Checked for structure (id, credentials.kid/iss/sub/aud, a PEM RSA private key); never printed.',
  },
  {
    key: 'privateKey',
    aliases: [],
    required: 'Only for keys without credentials.privateKey',
    description: 'PEM RSA private key for a service account key created from your own key pair.',
  },
  {
    key: 'accessToken',
    aliases: [],
    required: 'No',
    description:
      'Static bearer token used instead of a service account key. It expires and is not refreshed: for tests only. Ignored when a key is present.',
  },
  {
    key: 'region',
    aliases: [],
    required: 'Yes, here or in providerSpec.region',
    description:
      'STACKIT region, e.g. eu01. A zone such as eu01-1 is accepted with a warning and means its region. providerSpec.region wins.',
  },
  {
    key: 'userData',
    aliases: [],
    required: 'No',
    description:
      'Cloud-init user data; MCM substitutes <<BOOTSTRAP_TOKEN>> and <<MACHINE_NAME>> in it. providerSpec.userData wins.',
  },
  {
    key: 'networkId',
    aliases: [],
    required: 'Yes, unless providerSpec.networking is set',
    description: 'Default network UUID, used when providerSpec.networking is not set.',
  },
];

export interface ProviderSecret {
  /** Lowercase project UUID. */
  projectId: string;
  /** The service account key, parsed and checked; its private key only as a KeyObject. */
  serviceAccountKey?: ServiceAccountKey;
  /** Static bearer token; only set when no service account key is present. */
  accessToken?: string;
  /** Region, e.g. eu01 (a zone given here has been mapped to its region). */
  region?: string;
  /** User data as MCM substituted it. */
  userData?: string;
  /** Lowercase default network UUID. */
  networkId?: string;
  /**
   * SHA-256 (hex) of the credential material: the key document canonicalised, a separate private
   * key, or the token. Names the credential without holding it (see credentialFingerprint).
   */
  credentialDigest: string;
}

export type ParseSecretResult =
  | { ok: true; secret: ProviderSecret; warnings: string[] }
  | { ok: false; errors: FieldError[]; warnings: string[] };

export interface ParseSecretOptions {
  /**
   * Whether credentials (key or token) must be present; false only for endpoints that need no
   * authentication (STACKIT_NO_AUTH with the simulator).
   */
  credentialsRequired?: boolean;
  /** Clock for the key's validUntil check (epoch ms). */
  now?: number;
}

const root = 'secret';
const secretPath = (key: string) => formatPath(root, [key]);

/** Validates the merged request Secret, reporting every problem at once. Never throws, never echoes secrets. */
export function parseSecret(data: Record<string, Buffer>, opts: ParseSecretOptions = {}): ParseSecretResult {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  if (typeof data !== 'object' || data === null) {
    return { ok: false, errors: [{ path: root, message: 'has no data' }], warnings };
  }
  const text = (key: string): string | undefined => {
    // Typed as Buffers, but tolerate strings and plain Uint8Arrays from other callers.
    const v: unknown = Object.hasOwn(data, key) ? data[key] : undefined;
    if (v === undefined || v === null) return undefined;
    const s = v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : String(v);
    return s.trim() === '' ? undefined : s;
  };
  /** The value under the key or its alias; the alias (the Go provider's name) wins. */
  const pick = (docKey: string, compare: (a: string, b: string) => boolean) => {
    const d = secretKeyDocs.find((k) => k.key === docKey)!;
    let chosen: { key: string; value: string } | undefined;
    for (const name of [...d.aliases, d.key]) {
      const value = text(name);
      if (value === undefined) continue;
      if (!chosen) chosen = { key: name, value };
      else if (!compare(chosen.value, value))
        warnings.push(`${secretPath(name)} and ${secretPath(chosen.key)} differ; using ${chosen.key}`);
    }
    return chosen;
  };
  const sameTrimmed = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

  const secret: Partial<ProviderSecret> = {};

  const project = pick('projectId', sameTrimmed);
  if (!project) {
    errors.push({
      path: secretPath('projectId'),
      message: 'is required: the STACKIT project UUID (or project-id)',
    });
  } else if (!uuidPattern.test(project.value.trim())) {
    errors.push({
      path: secretPath(project.key),
      message: `must be the project UUID, like ${uuidExample}`,
      ...shown(project.value.trim()),
    });
  } else secret.projectId = project.value.trim().toLowerCase();

  let privateKey = text('privateKey');
  if (privateKey !== undefined) {
    const problem = rsaPrivateKeyProblem(privateKey);
    if (problem) {
      errors.push({ path: secretPath('privateKey'), message: problem });
      privateKey = undefined;
    }
  }
  let keyDocument: unknown;

  const key = pick('serviceAccountKey', sameKeyDocument);
  const token = text('accessToken');
  if (key) {
    const checked = checkServiceAccountKey(key.value, {
      path: secretPath(key.key),
      separatePrivateKey: privateKey,
      ...(opts.now === undefined ? {} : { now: opts.now }),
    });
    if (!checked.ok) errors.push(...checked.errors);
    else {
      secret.serviceAccountKey = checked.key;
      keyDocument = checked.document;
      if (checked.decodedFromBase64)
        warnings.push(
          `${secretPath(key.key)}: was base64-encoded twice; decoded it, but store the JSON itself`,
        );
    }
    if (token !== undefined)
      warnings.push(`${secretPath('accessToken')}: ignored because a service account key is set`);
  } else if (token !== undefined) {
    if (/\s/.test(token.trim()))
      errors.push({ path: secretPath('accessToken'), message: 'must be a single token without spaces' });
    else secret.accessToken = token.trim();
  } else if (opts.credentialsRequired !== false) {
    errors.push({
      path: secretPath('serviceAccountKey'),
      message: 'is required: the service account key JSON (or serviceaccount.json, or an accessToken)',
    });
  }

  const region = text('region')?.trim();
  if (region !== undefined) {
    const zoneRegion = regionOfZone(region);
    if (regionPattern.test(region)) secret.region = region;
    else if (zoneRegion !== undefined) {
      secret.region = zoneRegion;
      warnings.push(
        `${secretPath('region')}: ${region} is an availability zone; using its region ${zoneRegion}`,
      );
    } else {
      errors.push({
        path: secretPath('region'),
        message:
          region === 'RegionOne'
            ? 'RegionOne is the OpenStack region name and is not valid for the STACKIT IaaS API; use eu01'
            : 'must be a STACKIT region like eu01 or eu02',
        ...shown(region),
      });
    }
  }

  const userData = text('userData');
  if (userData !== undefined) secret.userData = userData;

  const networkId = text('networkId')?.trim();
  if (networkId !== undefined) {
    if (uuidPattern.test(networkId)) secret.networkId = networkId.toLowerCase();
    else
      errors.push({
        path: secretPath('networkId'),
        message: `must be the network UUID, like ${uuidExample}`,
        ...shown(networkId),
      });
  }

  // A misspelt key (serviceAccountkey) reads as a missing one; say which key it probably meant. Keys
  // that resemble none are left alone: Gardener's Secrets hold keys of their own.
  // With other errors it joins them (it is likely their cause), else it is a warning.
  const known = secretKeyDocs.flatMap((k) => [k.key, ...k.aliases]);
  for (const key of Object.keys(data)) {
    if (known.includes(key)) continue;
    const hint = suggest(key, known);
    if (!hint) continue;
    const message = `is not a key this provider reads, ignored; did you mean ${hint}?`;
    if (errors.length > 0) errors.push({ path: secretPath(key), message });
    else warnings.push(`${secretPath(key)}: ${message}`);
  }

  if (errors.length > 0) return { ok: false, errors, warnings };
  secret.credentialDigest = sha256(
    JSON.stringify([
      keyDocument === undefined ? '' : JSON.stringify(sortKeys(keyDocument)),
      keyDocument === undefined ? '' : (privateKey?.trim() ?? ''),
      keyDocument === undefined ? (secret.accessToken ?? '') : '',
    ]),
  );
  return { ok: true, secret: withRedactedViews(secret as ProviderSecret), warnings };
}

/**
 * Shows a mistyped identifier, unless it may be something pasted into the wrong key (a key
 * document, a PEM block or a token), which must never reach a message.
 */
function shown(value: string): { value?: string } {
  if (value.length > 64 || /[{}]|-----|PRIVATE/.test(value)) return {};
  return { value: displayValue(value) };
}

function sameKeyDocument(a: string, b: string): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** Sorted-keys JSON, so formatting differences do not count as a different key. */
function canonicalJson(text: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)));
  } catch {
    return text.trim();
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

const hidden = '(hidden)';

/** The same Secret with this Machine's user data (MCM puts a per-Machine bootstrap token in it). */
export function withUserData(secret: ProviderSecret, userData: string | undefined): ProviderSecret {
  const { userData: _, ...rest } = secret;
  return withRedactedViews(userData === undefined ? rest : { ...rest, userData });
}

/** Logging or JSON-encoding a ProviderSecret by mistake shows no key, token or user data. */
function withRedactedViews(secret: ProviderSecret): ProviderSecret {
  const view = () => ({
    projectId: secret.projectId,
    ...(secret.serviceAccountKey === undefined ? {} : { serviceAccountKey: hidden }),
    ...(secret.accessToken === undefined ? {} : { accessToken: hidden }),
    ...(secret.region === undefined ? {} : { region: secret.region }),
    ...(secret.userData === undefined ? {} : { userData: hidden }),
    ...(secret.networkId === undefined ? {} : { networkId: secret.networkId }),
  });
  Object.defineProperty(secret, 'toJSON', { value: view, enumerable: false });
  Object.defineProperty(secret, inspect.custom, { value: () => view(), enumerable: false });
  return secret;
}

/**
 * A stable SHA-256 (hex) of what decides which IaaS client serves a Secret: the project and the
 * credential (its digest). Region, user data and network are not part of it: one client serves
 * every region. `extra` lets the caller mix in process-level settings such as the endpoint.
 */
export function credentialFingerprint(secret: ProviderSecret, extra = ''): string {
  return sha256(JSON.stringify(['stackit-credential-v2', secret.projectId, secret.credentialDigest, extra]));
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
