// The service-account key JSON from the STACKIT portal, parsed and checked field by field. Problems
// name the field and never its value: the JSON holds a private key. The parsed key keeps the private
// key only as a KeyObject, which neither JSON.stringify nor util.inspect reveal.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { uuidPattern as uuid } from '../../util/uuid.ts';
import { IaasConfigError } from '../errors.ts';

export interface ServiceAccountKeyCredentials {
  /** JWT header `kid`. */
  kid: string;
  /** Service-account e-mail; JWT claim `iss`. */
  iss: string;
  /** Service-account UUID; JWT claim `sub`. */
  sub: string;
  /** JWT claim `aud`. */
  aud: string;
  /** Token URL the key names (optional; since SDK core v0.26.0). */
  tokenEndpoint?: string | undefined;
}

export interface ServiceAccountKey {
  id: string;
  publicKey?: string | undefined;
  keyType?: string | undefined;
  keyOrigin?: string | undefined;
  keyAlgorithm?: string | undefined;
  active?: boolean | undefined;
  createdAt?: string | undefined;
  validUntil?: string | undefined;
  credentials: ServiceAccountKeyCredentials;
  /** The RSA private key that signs assertions (from credentials.privateKey or given separately). */
  signingKey: KeyObject;
}

export interface ParseServiceAccountKeyOptions {
  /** PEM private key for keys whose JSON lacks credentials.privateKey (STACKIT_PRIVATE_KEY style). */
  privateKey?: string | undefined;
  /** Clock for the validUntil check (epoch ms). */
  now?: number | undefined;
}

type Issue = { field: string; problem: string };

/** Parses the key JSON (text or an already parsed object); throws IaasConfigError listing every problem. */
export function parseServiceAccountKey(
  input: unknown,
  opts: ParseServiceAccountKeyOptions = {},
): ServiceAccountKey {
  const subject = 'invalid service account key';
  let raw: unknown = input;
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    try {
      raw = JSON.parse(input.toString());
    } catch {
      // JSON.parse quotes the offending text in its message: keep it out.
      throw new IaasConfigError(subject, [{ field: '(document)', problem: 'is not valid JSON' }]);
    }
  }
  if (!isObject(raw))
    throw new IaasConfigError(subject, [{ field: '(document)', problem: 'is not a JSON object' }]);

  const issues: Issue[] = [];
  const id = str(raw, 'id', issues, { required: true, pattern: uuid, patternName: 'a UUID' });
  const optionalStrings = ['publicKey', 'keyType', 'keyOrigin', 'keyAlgorithm'] as const;
  const extra: Partial<Record<(typeof optionalStrings)[number], string>> = {};
  for (const f of optionalStrings) {
    const v = str(raw, f, issues);
    if (v !== undefined) extra[f] = v;
  }
  let active: boolean | undefined;
  if (raw.active !== undefined && raw.active !== null) {
    if (typeof raw.active === 'boolean') active = raw.active;
    else issues.push({ field: 'active', problem: 'must be a boolean' });
  }
  const createdAt = timestamp(raw, 'createdAt', issues);
  const validUntil = timestamp(raw, 'validUntil', issues);
  if (validUntil !== undefined && Date.parse(validUntil) <= (opts.now ?? Date.now())) {
    issues.push({
      field: 'validUntil',
      problem: 'the key has expired; create a new key in the STACKIT portal',
    });
  }

  let credentials: ServiceAccountKeyCredentials | undefined;
  let signingKey: KeyObject | undefined;
  const c = raw.credentials;
  if (c === undefined || c === null) {
    issues.push({
      field: 'credentials',
      problem: 'is missing; the key file has kid, iss, sub and aud there',
    });
  } else if (!isObject(c)) {
    issues.push({ field: 'credentials', problem: 'must be an object with kid, iss, sub and aud' });
  } else {
    const kid = str(c, 'kid', issues, { required: true, prefix: 'credentials.' });
    const iss = str(c, 'iss', issues, {
      required: true,
      prefix: 'credentials.',
      pattern: /^[^@\s]+@[^@\s]+$/,
      patternName: 'the service account e-mail',
    });
    const sub = str(c, 'sub', issues, {
      required: true,
      prefix: 'credentials.',
      pattern: uuid,
      patternName: 'a UUID',
    });
    const aud = str(c, 'aud', issues, { required: true, prefix: 'credentials.' });
    const tokenEndpoint = str(c, 'tokenEndpoint', issues, { prefix: 'credentials.' });
    if (tokenEndpoint !== undefined && !isHttpUrl(tokenEndpoint)) {
      issues.push({ field: 'credentials.tokenEndpoint', problem: 'must be an http(s) URL' });
    }
    const pem = str(c, 'privateKey', issues, { prefix: 'credentials.' });
    if (pem !== undefined) {
      signingKey = rsaKey(pem, 'credentials.privateKey', issues);
    } else if (opts.privateKey !== undefined) {
      signingKey = rsaKey(opts.privateKey, 'privateKey (given separately)', issues);
    } else {
      issues.push({
        field: 'credentials.privateKey',
        problem: 'is missing and no private key was given separately',
      });
    }
    if (kid !== undefined && iss !== undefined && sub !== undefined && aud !== undefined) {
      credentials = { kid, iss, sub, aud, tokenEndpoint };
    }
  }

  if (issues.length > 0 || id === undefined || credentials === undefined || signingKey === undefined) {
    throw new IaasConfigError(subject, issues);
  }
  return { id, ...extra, active, createdAt, validUntil, credentials, signingKey };
}

function rsaKey(pem: string, field: string, issues: Issue[]): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    issues.push({ field, problem: 'is not a PEM-encoded private key' });
    return undefined;
  }
  if (key.asymmetricKeyType !== 'rsa') {
    issues.push({ field, problem: 'must be an RSA key (assertions are signed with RS512)' });
    return undefined;
  }
  return key;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}

function str(
  obj: Record<string, unknown>,
  name: string,
  issues: Issue[],
  o: { required?: boolean; prefix?: string; pattern?: RegExp; patternName?: string } = {},
): string | undefined {
  const field = `${o.prefix ?? ''}${name}`;
  const v = obj[name];
  if (v === undefined || v === null) {
    if (o.required) issues.push({ field, problem: 'is missing' });
    return undefined;
  }
  if (typeof v !== 'string') {
    issues.push({ field, problem: 'must be a string' });
    return undefined;
  }
  if (o.required && v.trim() === '') {
    issues.push({ field, problem: 'is empty' });
    return undefined;
  }
  if (o.pattern && !o.pattern.test(v)) {
    issues.push({ field, problem: `must be ${o.patternName}` });
    return undefined;
  }
  return v;
}

function timestamp(obj: Record<string, unknown>, name: string, issues: Issue[]): string | undefined {
  const v = str(obj, name, issues);
  if (v !== undefined && Number.isNaN(Date.parse(v))) {
    issues.push({ field: name, problem: 'must be an RFC 3339 timestamp' });
    return undefined;
  }
  return v;
}
