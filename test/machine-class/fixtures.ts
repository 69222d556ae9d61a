// Shared test data for the spec tests: a realistic service account key, generated per run (no key
// material is ever committed), and helpers to build Secret data.
import { generateKeyPairSync, randomUUID } from 'node:crypto';

export const U1 = '11111111-1111-1111-1111-111111111111';
export const U2 = '22222222-2222-2222-2222-222222222222';
export const U3 = '33333333-3333-3333-3333-333333333333';
export const PROJECT = '00000000-0000-0000-0000-000000000000';

export interface GeneratedKey {
  /** The key document as the STACKIT portal hands it out. */
  doc: Record<string, unknown> & { credentials: Record<string, unknown> };
  json: string;
  privateKeyPem: string;
  publicKeyPem: string;
}

let cached: { privateKeyPem: string; publicKeyPem: string } | undefined;

function keyPair() {
  if (!cached) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    cached = {
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }
  return cached;
}

export function makeServiceAccountKey(overrides: { withPrivateKey?: boolean } = {}): GeneratedKey {
  const { privateKeyPem, publicKeyPem } = keyPair();
  const credentials: Record<string, unknown> = {
    kid: randomUUID(),
    iss: 'my-sa-x1y2z3@sa.stackit.cloud',
    sub: randomUUID(),
    aud: 'https://stackit-service-account-prod.apps.01.cf.eu01.stackit.cloud',
  };
  if (overrides.withPrivateKey !== false) credentials.privateKey = privateKeyPem;
  const doc = {
    id: randomUUID(),
    publicKey: publicKeyPem,
    createdAt: '2025-01-01T00:00:00.000+00:00',
    validUntil: '2099-01-01T00:00:00.000+00:00',
    keyType: 'USER_MANAGED',
    keyOrigin: 'GENERATED',
    keyAlgorithm: 'RSA_2048',
    active: true,
    credentials,
  };
  return { doc, json: JSON.stringify(doc), privateKeyPem, publicKeyPem };
}

export function secretData(values: Record<string, string>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v, 'utf8')]));
}

/** Pieces of key material that must never appear in messages: PEM body lines and the document's strings. */
export function keyMaterialFragments(key: GeneratedKey): string[] {
  const pemLines = (pem: string) => pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
  const strings = [key.doc.id, ...Object.values(key.doc.credentials)].filter(
    (v): v is string => typeof v === 'string',
  );
  return [
    ...pemLines(key.privateKeyPem),
    ...pemLines(key.publicKeyPem),
    ...strings.filter((s) => !s.includes('\n')),
  ];
}
