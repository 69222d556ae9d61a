import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import { IaasConfigError, parseServiceAccountKey } from '../../src/iaas/index.ts';
import { makeKey } from './helpers.ts';

function configError(fn: () => unknown): IaasConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof IaasConfigError, `expected IaasConfigError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('parseServiceAccountKey', () => {
  const key = makeKey();

  test('accepts a portal key as text or object', () => {
    const fromText = parseServiceAccountKey(JSON.stringify(key.json));
    const fromObject = parseServiceAccountKey(key.json);
    for (const k of [fromText, fromObject]) {
      assert.equal(k.id, key.json.id);
      assert.equal(k.credentials.kid, key.json.credentials.kid);
      assert.equal(k.credentials.sub, key.json.credentials.sub);
      assert.equal(k.signingKey.asymmetricKeyType, 'rsa');
    }
  });

  test('the parsed key does not reveal the private key when logged or serialised', () => {
    const parsed = parseServiceAccountKey(key.json);
    const pemBody = key.privateKeyPem.split('\n')[1]!;
    assert.ok(!JSON.stringify(parsed).includes(pemBody));
    assert.ok(!inspect(parsed, { depth: 10 }).includes(pemBody));
  });

  test('names every missing or invalid field without printing values', () => {
    const bad = structuredClone(key.json) as Record<string, unknown> & {
      credentials: Record<string, unknown>;
    };
    bad.id = 'not-a-uuid-secretish';
    delete bad.credentials.kid;
    bad.credentials.sub = 42;
    // The generated key's PEM armour around a body that is no key (no key material in the source).
    const [begin] = key.privateKeyPem.split('\n');
    const end = key.privateKeyPem.trimEnd().split('\n').at(-1);
    bad.credentials.privateKey = `${begin}\nSECRETMATERIAL\n${end}\n`;
    bad.validUntil = 'tomorrow-ish';
    const e = configError(() => parseServiceAccountKey(bad));
    assert.deepEqual(
      e.fields.sort(),
      ['credentials.kid', 'credentials.privateKey', 'credentials.sub', 'id', 'validUntil'].sort(),
    );
    assert.ok(!e.message.includes('SECRETMATERIAL'));
    assert.ok(!e.message.includes('not-a-uuid-secretish'));
    assert.ok(!e.message.includes('tomorrow-ish'));
  });

  test('text that is not JSON is refused without quoting it', () => {
    const e = configError(() => parseServiceAccountKey(`{"id": "x", ${key.privateKeyPem}`));
    assert.match(e.message, /not valid JSON/);
    assert.ok(!e.message.includes('PRIVATE KEY'));
    assert.ok(!e.message.includes('"id"'));
  });

  test('a key without credentials.privateKey needs one given separately', () => {
    const noPk = structuredClone(key.json);
    delete (noPk.credentials as Record<string, unknown>).privateKey;
    assert.deepEqual(configError(() => parseServiceAccountKey(noPk)).fields, ['credentials.privateKey']);
    const k = parseServiceAccountKey(noPk, { privateKey: key.privateKeyPem });
    assert.equal(k.signingKey.asymmetricKeyType, 'rsa');
  });

  test('PKCS#1 PEM keys are accepted, non-RSA keys are refused', () => {
    const pkcs1 = structuredClone(key.json);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pkcs1.credentials.privateKey = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.equal(parseServiceAccountKey(pkcs1).signingKey.asymmetricKeyType, 'rsa');

    const ec = structuredClone(key.json);
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    ec.credentials.privateKey = ecKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.match(configError(() => parseServiceAccountKey(ec)).message, /must be an RSA key/);
  });

  test('an expired key is refused naming validUntil', () => {
    const old = { ...structuredClone(key.json), validUntil: '2020-01-01T00:00:00Z' };
    assert.deepEqual(configError(() => parseServiceAccountKey(old)).fields, ['validUntil']);
  });

  test('tokenEndpoint must be a URL when present', () => {
    const k = structuredClone(key.json);
    k.credentials.tokenEndpoint = 'nope';
    assert.deepEqual(configError(() => parseServiceAccountKey(k)).fields, ['credentials.tokenEndpoint']);
  });
});
