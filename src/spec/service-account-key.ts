// Structure check of a STACKIT service-account key (the JSON the portal hands out; SDK
// core/clients/key_flow.go). Errors name the field and what is wrong, never a value: the document
// holds a private key. The IaaS client parses the key again for signing; this check exists so a bad
// Secret fails validation (InvalidArgument) with every problem listed, before any API call.

import { createPrivateKey } from 'node:crypto';
import type { FieldError } from './field-error.ts';
import { uuidPattern } from './patterns.ts';

export interface KeyCheckOptions {
  /** Path of the Secret key holding the document, e.g. `secret.serviceAccountKey`. */
  path: string;
  /** Whether a PEM private key was given separately (Secret key `privateKey`). */
  hasSeparatePrivateKey: boolean;
  /** Clock for the validUntil check (epoch ms). */
  now?: number;
}

export type KeyCheckResult =
  | { ok: true; json: string; decodedFromBase64: boolean }
  | { ok: false; errors: FieldError[] };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses the text (JSON, or base64 of JSON as some tools double-encode) and checks its structure. */
export function checkServiceAccountKey(text: string, o: KeyCheckOptions): KeyCheckResult {
  const doc = parseKeyDocument(text);
  if (!doc) {
    return {
      ok: false,
      errors: [
        {
          path: o.path,
          message: 'is not valid JSON; paste the whole key file from the STACKIT portal (a JSON object)',
        },
      ],
    };
  }
  const { value, decodedFromBase64 } = doc;
  if (!isRecord(value)) {
    return {
      ok: false,
      errors: [{ path: o.path, message: 'must be a JSON object (the key file from the STACKIT portal)' }],
    };
  }

  const errors: FieldError[] = [];
  const at = (field: string) => `${o.path}.${field}`;
  const requireString = (obj: Record<string, unknown>, field: string, prefix = ''): string | undefined => {
    const v = obj[field];
    if (v === undefined || v === null) errors.push({ path: at(prefix + field), message: 'is missing' });
    else if (typeof v !== 'string') errors.push({ path: at(prefix + field), message: 'must be a string' });
    else if (v.trim() === '') errors.push({ path: at(prefix + field), message: 'is empty' });
    else return v;
    return undefined;
  };
  const optionalString = (obj: Record<string, unknown>, field: string, prefix = ''): string | undefined => {
    const v = obj[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') {
      errors.push({ path: at(prefix + field), message: 'must be a string' });
      return undefined;
    }
    return v;
  };

  const id = requireString(value, 'id');
  if (id !== undefined && !uuidPattern.test(id)) errors.push({ path: at('id'), message: 'must be a UUID' });
  optionalString(value, 'publicKey');
  const validUntil = optionalString(value, 'validUntil');
  if (validUntil !== undefined) {
    const t = Date.parse(validUntil);
    if (Number.isNaN(t)) errors.push({ path: at('validUntil'), message: 'must be an RFC 3339 timestamp' });
    else if (t <= (o.now ?? Date.now()))
      errors.push({
        path: at('validUntil'),
        message: 'the key has expired; create a new key in the STACKIT portal',
      });
  }

  const c = value.credentials;
  if (c === undefined || c === null) {
    errors.push({
      path: at('credentials'),
      message: 'is missing; the key file has kid, iss, sub and aud there',
    });
  } else if (!isRecord(c)) {
    errors.push({ path: at('credentials'), message: 'must be an object with kid, iss, sub and aud' });
  } else {
    const p = 'credentials.';
    requireString(c, 'kid', p);
    const iss = requireString(c, 'iss', p);
    if (iss !== undefined && !/^[^@\s]+@[^@\s]+$/.test(iss))
      errors.push({ path: at(`${p}iss`), message: 'must be the service account e-mail' });
    const sub = requireString(c, 'sub', p);
    if (sub !== undefined && !uuidPattern.test(sub))
      errors.push({ path: at(`${p}sub`), message: 'must be the service account UUID' });
    requireString(c, 'aud', p);
    const endpoint = optionalString(c, 'tokenEndpoint', p);
    if (endpoint !== undefined && !isHttpUrl(endpoint))
      errors.push({ path: at(`${p}tokenEndpoint`), message: 'must be an http(s) URL' });
    const pem = optionalString(c, 'privateKey', p);
    if (pem !== undefined) {
      const problem = rsaPrivateKeyProblem(pem);
      if (problem) errors.push({ path: at(`${p}privateKey`), message: problem });
    } else if (!o.hasSeparatePrivateKey) {
      errors.push({
        path: at(`${p}privateKey`),
        message:
          'is missing and the Secret has no privateKey: keys with your own key pair need the PEM private key in the Secret key privateKey',
      });
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, json: JSON.stringify(value), decodedFromBase64 };
}

/** Why a PEM text is not a usable RSA private key, or undefined when it is. Never echoes the text. */
export function rsaPrivateKeyProblem(pem: string): string | undefined {
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa') return 'must be an RSA private key (tokens are signed with RS512)';
    return undefined;
  } catch {
    return 'is not a PEM-encoded private key';
  }
}

function parseKeyDocument(text: string): { value: unknown; decodedFromBase64: boolean } | undefined {
  const trimmed = text.trim();
  try {
    return { value: JSON.parse(trimmed), decodedFromBase64: false };
  } catch {
    // fall through: maybe base64 of the JSON
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed, 'base64').toString('utf8').trim();
    if (decoded.startsWith('{')) {
      try {
        return { value: JSON.parse(decoded), decodedFromBase64: true };
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
