// Structure check of a STACKIT service-account key inside the Secret. The IaaS client's parser
// (src/iaas/auth/service-account-key.ts) is the one definition of a valid key; this module only
// finds the document (JSON, or base64 of JSON as some tools double-encode it) and turns the
// parser's issues into FieldErrors under the Secret key's path. Nothing here echoes key material.
import { createPrivateKey } from 'node:crypto';
import { parseServiceAccountKey, type ServiceAccountKey } from '../iaas/auth/service-account-key.ts';
import { IaasConfigError } from '../iaas/errors.ts';
import type { FieldError } from './field-error.ts';

export interface KeyCheckOptions {
  /** Path of the Secret key holding the document, e.g. `secret.serviceAccountKey`. */
  path: string;
  /** A PEM private key given separately (Secret key `privateKey`), for keys without credentials.privateKey. */
  separatePrivateKey?: string | undefined;
  /** Clock for the validUntil check (epoch ms). */
  now?: number;
}

export type KeyCheckResult =
  | {
      ok: true;
      /** The parsed key; its private key only as a KeyObject. */
      key: ServiceAccountKey;
      /** The document's JSON value, for comparing two documents; never logged. */
      document: unknown;
      decodedFromBase64: boolean;
    }
  | { ok: false; errors: FieldError[] };

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
  let key: ServiceAccountKey;
  try {
    key = parseServiceAccountKey(doc.value, { privateKey: o.separatePrivateKey, now: o.now });
  } catch (e) {
    if (!(e instanceof IaasConfigError)) throw e;
    return {
      ok: false,
      errors: e.issues.map(({ field, problem }) => ({
        path: field === '(document)' ? o.path : `${o.path}.${field}`,
        message:
          field === 'credentials.privateKey' && problem.startsWith('is missing')
            ? 'is missing and the Secret has no privateKey: keys with your own key pair need the PEM private key in the Secret key privateKey'
            : problem,
      })),
    };
  }
  return { ok: true, key, document: doc.value, decodedFromBase64: doc.decodedFromBase64 };
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
