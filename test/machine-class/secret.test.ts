import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import type { ServiceAccountKey } from '../../src/iaas/auth/service-account-key.ts';
import { formatFieldErrors } from '../../src/machine-class/field-error.ts';
import {
  credentialFingerprint,
  type ParseSecretResult,
  parseSecret,
} from '../../src/machine-class/secret.ts';
import { keyMaterialFragments, makeServiceAccountKey, PROJECT, secretData, U2 } from './fixtures.ts';

const key = makeServiceAccountKey();

function ok(r: ParseSecretResult) {
  assert.ok(r.ok, r.ok ? '' : formatFieldErrors(r.errors));
  return r;
}

function errorsOf(r: ParseSecretResult) {
  assert.equal(r.ok, false, 'expected the Secret to be rejected');
  return r.ok ? [] : r.errors;
}

function assertNoKeyMaterial(text: string, k = key) {
  for (const fragment of keyMaterialFragments(k)) {
    assert.ok(!text.includes(fragment), `key material leaked: ...${fragment.slice(0, 8)}...`);
  }
  assert.doesNotMatch(text, /BEGIN|PRIVATE KEY/);
}

describe('parseSecret: keys', () => {
  test('reads the seed README keys', () => {
    const r = ok(
      parseSecret(
        secretData({
          projectId: PROJECT,
          serviceAccountKey: key.json,
          region: 'eu01',
          userData: '#cloud-config\n',
          networkId: U2.toUpperCase(),
        }),
      ),
    );
    assert.equal(r.secret.projectId, PROJECT);
    assertParsedKey(r.secret.serviceAccountKey, key.doc);
    assert.equal(r.secret.region, 'eu01');
    assert.equal(r.secret.userData, '#cloud-config\n');
    assert.equal(r.secret.networkId, U2);
    assert.deepEqual(r.warnings, []);
  });

  test('reads the existing Go provider keys (Gardener cloudprovider Secret)', () => {
    const r = ok(
      parseSecret(secretData({ 'project-id': PROJECT, 'serviceaccount.json': key.json, userData: 'x' })),
    );
    assert.equal(r.secret.projectId, PROJECT);
    assertParsedKey(r.secret.serviceAccountKey, key.doc);
    assert.equal(r.secret.region, undefined);
  });

  test('trims identifiers (echo adds a newline) and lowercases UUIDs', () => {
    const r = ok(
      parseSecret(
        secretData({
          projectId: ` ${PROJECT.replaceAll('0', '0')}\n`,
          serviceAccountKey: key.json,
          region: 'eu02\n',
        }),
      ),
    );
    assert.equal(r.secret.projectId, PROJECT);
    assert.equal(r.secret.region, 'eu02');
  });

  test('the Go provider name wins when both are present, silently when equal', () => {
    const r = ok(
      parseSecret(secretData({ projectId: PROJECT, 'project-id': PROJECT, serviceAccountKey: key.json })),
    );
    assert.deepEqual(r.warnings, []);
  });

  test('differing values under both names: the Go provider name wins and a warning names both keys', () => {
    const other = makeServiceAccountKey();
    const otherProject = '99999999-9999-9999-9999-999999999999';
    const r = ok(
      parseSecret(
        secretData({
          projectId: otherProject,
          'project-id': PROJECT,
          serviceAccountKey: other.json,
          'serviceaccount.json': key.json,
        }),
      ),
    );
    assert.equal(r.secret.projectId, PROJECT);
    assertParsedKey(r.secret.serviceAccountKey, key.doc);
    assert.equal(r.warnings.length, 2);
    assert.match(r.warnings[0]!, /secret\.projectId and secret\."project-id" differ; using project-id/);
    assert.match(r.warnings[1]!, /serviceAccountKey.*serviceaccount\.json.*differ/);
    assertNoKeyMaterial(r.warnings.join('\n'));
    assertNoKeyMaterial(r.warnings.join('\n'), other);
    assert.ok(!r.warnings.join('').includes(otherProject));
  });

  test('the same key formatted differently is not a conflict', () => {
    const pretty = JSON.stringify(key.doc, null, 2);
    const r = ok(
      parseSecret(
        secretData({ projectId: PROJECT, serviceAccountKey: pretty, 'serviceaccount.json': key.json }),
      ),
    );
    assert.deepEqual(r.warnings, []);
  });

  test('accepts a key document that was base64-encoded twice, with a warning', () => {
    const r = ok(
      parseSecret(
        secretData({ projectId: PROJECT, serviceAccountKey: Buffer.from(key.json).toString('base64') }),
      ),
    );
    assertParsedKey(r.secret.serviceAccountKey, key.doc);
    assert.match(r.warnings.join(), /base64/);
  });

  test('a separate privateKey serves keys without credentials.privateKey', () => {
    const own = makeServiceAccountKey({ withPrivateKey: false });
    const r = ok(
      parseSecret(
        secretData({ projectId: PROJECT, serviceAccountKey: own.json, privateKey: own.privateKeyPem }),
      ),
    );
    // The separate PEM becomes the parsed key's signing key; the text itself is not kept.
    assert.equal(r.secret.serviceAccountKey?.signingKey.type, 'private');
    assert.equal(Object.hasOwn(r.secret, 'privateKey'), false);
    const missing = errorsOf(parseSecret(secretData({ projectId: PROJECT, serviceAccountKey: own.json })));
    assert.deepEqual(
      missing.map((e) => e.path),
      ['secret.serviceAccountKey.credentials.privateKey'],
    );
  });

  test('accessToken replaces the key; with a key present it is ignored with a warning', () => {
    const t = ok(parseSecret(secretData({ projectId: PROJECT, accessToken: 'tok.en.value\n' })));
    assert.equal(t.secret.accessToken, 'tok.en.value');
    assert.equal(t.secret.serviceAccountKey, undefined);
    const both = ok(
      parseSecret(secretData({ projectId: PROJECT, accessToken: 'tok', serviceAccountKey: key.json })),
    );
    assert.equal(both.secret.accessToken, undefined);
    assert.match(both.warnings.join(), /accessToken: ignored/);
  });

  test('credentials may be omitted only when asked (unauthenticated test endpoints)', () => {
    const paths = errorsOf(parseSecret(secretData({ projectId: PROJECT }))).map((e) => e.path);
    assert.deepEqual(paths, ['secret.serviceAccountKey']);
    ok(parseSecret(secretData({ projectId: PROJECT }), { credentialsRequired: false }));
  });

  test('empty values count as missing', () => {
    const paths = errorsOf(parseSecret(secretData({ projectId: '', serviceAccountKey: ' ' }))).map(
      (e) => e.path,
    );
    assert.deepEqual(paths, ['secret.projectId', 'secret.serviceAccountKey']);
  });
});

describe('parseSecret: values', () => {
  const withKey = (extra: Record<string, string>) =>
    secretData({ projectId: PROJECT, serviceAccountKey: key.json, ...extra });

  test('projectId must be a UUID', () => {
    const [e] = errorsOf(parseSecret(withKey({ projectId: 'my-project' })));
    assert.equal(e?.path, 'secret.projectId');
    assert.match(e!.message, /UUID/);
    assert.equal(e?.value, '"my-project"');
  });

  test('a key pasted into projectId is not echoed', () => {
    const errors = errorsOf(parseSecret(withKey({ projectId: key.json })));
    assertNoKeyMaterial(formatFieldErrors(errors));
    assert.equal(errors[0]?.value, undefined);
  });

  test('a zone in region means its region, with a warning', () => {
    const r = ok(parseSecret(withKey({ region: 'eu01-1' })));
    assert.equal(r.secret.region, 'eu01');
    assert.match(r.warnings.join(), /secret\.region: eu01-1 is an availability zone; using its region eu01/);
    assert.equal(ok(parseSecret(withKey({ region: 'eu01-m' }))).secret.region, 'eu01');
  });

  for (const region of ['RegionOne', 'europe', 'eu01-x', 'EU01']) {
    test(`region ${region} is rejected`, () => {
      const [e] = errorsOf(parseSecret(withKey({ region })));
      assert.equal(e?.path, 'secret.region');
      assert.match(e!.message, /eu01/);
    });
  }

  test('networkId must be a UUID', () => {
    const [e] = errorsOf(parseSecret(withKey({ networkId: 'net-1' })));
    assert.equal(e?.path, 'secret.networkId');
  });

  test('userData is kept byte for byte', () => {
    const userData = '#!/bin/bash\necho "héllo"  \n\n';
    assert.equal(ok(parseSecret(withKey({ userData }))).secret.userData, userData);
  });

  test('every problem is reported at once', () => {
    const errors = errorsOf(
      parseSecret(secretData({ projectId: 'x', serviceAccountKey: '{}', region: 'mars', networkId: 'n' })),
    );
    assert.deepEqual(
      errors.map((e) => e.path),
      [
        'secret.projectId',
        'secret.serviceAccountKey.id',
        'secret.serviceAccountKey.credentials',
        'secret.region',
        'secret.networkId',
      ],
    );
  });

  test('never throws on odd input', () => {
    for (const data of [null, undefined, 5, 'x', [], { projectId: 5 }, { projectId: new Uint8Array([65]) }]) {
      assert.doesNotThrow(() => parseSecret(data as unknown as Record<string, Buffer>));
    }
  });
});

describe('parseSecret: service account key structure', () => {
  type Mutation = {
    name: string;
    mutate: (doc: Record<string, unknown>) => unknown;
    path: string;
    message: RegExp;
  };
  const cred = (doc: Record<string, unknown>) => doc.credentials as Record<string, unknown>;
  const mutations: Mutation[] = [
    {
      name: 'not JSON',
      mutate: () => 'not json {',
      path: 'secret.serviceAccountKey',
      message: /not valid JSON/,
    },
    { name: 'a JSON list', mutate: () => [1], path: 'secret.serviceAccountKey', message: /JSON object/ },
    {
      name: 'id missing',
      mutate: (d) => ({ ...d, id: undefined }),
      path: 'secret.serviceAccountKey.id',
      message: /missing/,
    },
    {
      name: 'id not a UUID',
      mutate: (d) => ({ ...d, id: 'key-1' }),
      path: 'secret.serviceAccountKey.id',
      message: /UUID/,
    },
    {
      name: 'publicKey not a string',
      mutate: (d) => ({ ...d, publicKey: 5 }),
      path: 'secret.serviceAccountKey.publicKey',
      message: /string/,
    },
    {
      name: 'expired',
      mutate: (d) => ({ ...d, validUntil: '2020-01-01T00:00:00Z' }),
      path: 'secret.serviceAccountKey.validUntil',
      message: /expired/,
    },
    {
      name: 'credentials missing',
      mutate: (d) => ({ ...d, credentials: undefined }),
      path: 'secret.serviceAccountKey.credentials',
      message: /missing/,
    },
    {
      name: 'kid missing',
      mutate: (d) => ({ ...d, credentials: { ...cred(d), kid: undefined } }),
      path: 'secret.serviceAccountKey.credentials.kid',
      message: /missing/,
    },
    {
      name: 'iss not an e-mail',
      mutate: (d) => ({ ...d, credentials: { ...cred(d), iss: 'nobody' } }),
      path: 'secret.serviceAccountKey.credentials.iss',
      message: /e-mail/,
    },
    {
      name: 'sub not a UUID',
      mutate: (d) => ({ ...d, credentials: { ...cred(d), sub: 'sa' } }),
      path: 'secret.serviceAccountKey.credentials.sub',
      message: /UUID/,
    },
    {
      name: 'aud empty',
      mutate: (d) => ({ ...d, credentials: { ...cred(d), aud: '' } }),
      path: 'secret.serviceAccountKey.credentials.aud',
      message: /empty/,
    },
    {
      name: 'privateKey not PEM',
      mutate: (d) => ({ ...d, credentials: { ...cred(d), privateKey: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' } }),
      path: 'secret.serviceAccountKey.credentials.privateKey',
      message: /PEM/,
    },
    {
      name: 'privateKey truncated',
      mutate: (d) => ({
        ...d,
        credentials: { ...cred(d), privateKey: String(cred(d).privateKey).slice(0, 400) },
      }),
      path: 'secret.serviceAccountKey.credentials.privateKey',
      message: /PEM/,
    },
    {
      name: 'tokenEndpoint not a URL',
      mutate: (d) => ({ ...d, credentials: { ...cred(d), tokenEndpoint: 'token' } }),
      path: 'secret.serviceAccountKey.credentials.tokenEndpoint',
      message: /URL/,
    },
  ];

  for (const m of mutations) {
    test(`names the problem without printing the key: ${m.name}`, () => {
      const mutated = m.mutate(structuredClone(key.doc));
      const text = typeof mutated === 'string' ? mutated : JSON.stringify(mutated);
      for (const keyName of ['serviceAccountKey', 'serviceaccount.json']) {
        const r = parseSecret(secretData({ projectId: PROJECT, [keyName]: text }));
        const errors = errorsOf(r);
        const path = m.path.replace(
          'serviceAccountKey',
          keyName === 'serviceAccountKey' ? keyName : '"serviceaccount.json"',
        );
        const e = errors.find((x) => x.path === path);
        assert.ok(e, `no error at ${path}: ${formatFieldErrors(errors)}`);
        assert.match(e.message, m.message);
        assert.equal(e.value, undefined);
        assertNoKeyMaterial(formatFieldErrors(errors) + JSON.stringify(errors) + r.warnings.join(''));
      }
    });
  }

  test('a separate privateKey that is not PEM is named without echo', () => {
    const own = makeServiceAccountKey({ withPrivateKey: false });
    const bad = own.privateKeyPem.replace(/[A-Z]/g, 'x');
    const errors = errorsOf(
      parseSecret(secretData({ projectId: PROJECT, serviceAccountKey: own.json, privateKey: bad })),
    );
    assert.ok(errors.some((e) => e.path === 'secret.privateKey' && /PEM/.test(e.message)));
    assertNoKeyMaterial(formatFieldErrors(errors), own);
  });
});

describe('ProviderSecret never reveals credentials when logged', () => {
  test('JSON.stringify and util.inspect hide key, token and user data', () => {
    const r = ok(
      parseSecret(
        secretData({
          projectId: PROJECT,
          serviceAccountKey: key.json,
          privateKey: key.privateKeyPem,
          userData: 'pw=hunter2',
        }),
      ),
    );
    for (const text of [
      JSON.stringify(r.secret),
      inspect(r.secret, { depth: 5 }),
      JSON.stringify({ nested: r }),
    ]) {
      assertNoKeyMaterial(text);
      assert.doesNotMatch(text, /hunter2/);
      assert.match(text, new RegExp(PROJECT));
    }
    // The parsed key stays reachable for the driver.
    assert.equal(r.secret.serviceAccountKey?.signingKey.asymmetricKeyType, 'rsa');
  });
});

describe('credentialFingerprint', () => {
  const parse = (values: Record<string, string>) => ok(parseSecret(secretData(values))).secret;
  const base = { projectId: PROJECT, serviceAccountKey: key.json };

  test('is a stable SHA-256 hex digest', () => {
    const a = credentialFingerprint(parse(base));
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(credentialFingerprint(parse(base)), a);
  });

  test('ignores formatting, key aliases, region, user data and network', () => {
    const a = credentialFingerprint(parse(base));
    const b = credentialFingerprint(
      parse({
        'project-id': PROJECT.toUpperCase(),
        'serviceaccount.json': JSON.stringify(key.doc, null, 4),
        region: 'eu02',
        userData: 'x',
        networkId: U2,
      }),
    );
    assert.equal(a, b);
  });

  test('changes with the project, the key, the token and the extra input', () => {
    const a = credentialFingerprint(parse(base));
    const other = makeServiceAccountKey();
    const seen = new Set([
      a,
      credentialFingerprint(parse({ ...base, projectId: '99999999-9999-9999-9999-999999999999' })),
      credentialFingerprint(parse({ ...base, serviceAccountKey: other.json })),
      credentialFingerprint(parse({ projectId: PROJECT, accessToken: 't1' })),
      credentialFingerprint(parse({ projectId: PROJECT, accessToken: 't2' })),
      credentialFingerprint(parse(base), 'https://iaas.example'),
    ]);
    assert.equal(seen.size, 6);
  });
});

/** The Secret keeps the key parsed: the document's fields, and the private key as a KeyObject only. */
function assertParsedKey(
  parsed: ServiceAccountKey | undefined,
  doc: Record<string, unknown> & { credentials: Record<string, unknown> },
) {
  assert.ok(parsed);
  assert.equal(parsed.id, doc.id);
  assert.equal(parsed.credentials.kid, doc.credentials.kid);
  assert.equal(parsed.signingKey.asymmetricKeyType, 'rsa');
}
