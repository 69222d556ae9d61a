import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatFieldErrors } from '../../src/machine-class/field-error.ts';
import { type ProviderSpec, parseProviderSpec } from '../../src/machine-class/provider-spec.ts';
import {
  resolveBoot,
  resolveNetworking,
  resolveRegion,
  resolveServerSettings,
  resolveUserData,
} from '../../src/machine-class/resolve.ts';
import { type ProviderSecret, parseSecret } from '../../src/machine-class/secret.ts';
import { makeServiceAccountKey, PROJECT, secretData, U1, U2, U3 } from './fixtures.ts';

const key = makeServiceAccountKey();

function spec(raw: Record<string, unknown>): ProviderSpec {
  const r = parseProviderSpec({ machineType: 'c2i.4', imageId: U1, ...raw });
  assert.ok(r.ok, r.ok ? '' : formatFieldErrors(r.errors));
  return r.spec;
}

function secret(values: Record<string, string> = {}): ProviderSecret {
  const r = parseSecret(secretData({ projectId: PROJECT, serviceAccountKey: key.json, ...values }));
  assert.ok(r.ok, r.ok ? '' : formatFieldErrors(r.errors));
  return r.secret;
}

describe('resolveUserData', () => {
  test("uses the Secret's userData (MCM already substituted it) when providerSpec has none", () => {
    const r = resolveUserData(spec({}), secret({ userData: 'token=abc name=m1' }), 'm1');
    assert.deepEqual(r, { userData: 'token=abc name=m1', source: 'secret', warnings: [] });
  });

  test('providerSpec.userData wins and gets <<MACHINE_NAME>> substituted, plain and URL-escaped', () => {
    const r = resolveUserData(
      spec({ userData: 'host=<<MACHINE_NAME>> url=?n=%3C%3CMACHINE_NAME%3E%3E' }),
      secret({ userData: 'from secret' }),
      'worker-a.b',
    );
    assert.equal(r.userData, 'host=worker-a.b url=?n=worker-a.b');
    assert.equal(r.source, 'providerSpec');
    assert.match(r.warnings.join(), /overrides the Secret's userData/);
  });

  test('warns that a bootstrap token cannot be filled into providerSpec.userData', () => {
    for (const placeholder of ['<<BOOTSTRAP_TOKEN>>', '%3C%3CBOOTSTRAP_TOKEN%3E%3E']) {
      const r = resolveUserData(spec({ userData: `token=${placeholder}` }), secret(), 'm1');
      assert.equal(r.userData, `token=${placeholder}`);
      assert.match(r.warnings.join(), /BOOTSTRAP_TOKEN.*cannot join/);
    }
  });

  test('no user data anywhere is fine', () => {
    assert.deepEqual(resolveUserData(spec({}), secret(), 'm'), {
      userData: undefined,
      source: 'none',
      warnings: [],
    });
  });
});

describe('resolveRegion', () => {
  test('providerSpec.region wins over the Secret, with a warning when they differ', () => {
    const r = resolveRegion(spec({ region: 'eu02' }), secret({ region: 'eu01' }));
    assert.ok(r.ok);
    assert.equal(r.value, 'eu02');
    assert.match(r.warnings.join(), /overrides/);
  });

  test("falls back to the Secret's region (a zone there means its region)", () => {
    const r = resolveRegion(spec({}), secret({ region: 'eu01-2' }));
    assert.ok(r.ok);
    assert.equal(r.value, 'eu01');
  });

  test('is required somewhere', () => {
    const r = resolveRegion(spec({}), secret());
    assert.ok(!r.ok);
    assert.equal(r.errors[0]?.path, 'providerSpec.region');
  });

  test("the zone must lie in the Secret's region too", () => {
    const r = resolveRegion(spec({ availabilityZone: 'eu01-1' }), secret({ region: 'eu02' }));
    assert.ok(!r.ok);
    assert.equal(r.errors[0]?.path, 'providerSpec.availabilityZone');
  });
});

describe('resolveNetworking', () => {
  test('providerSpec networkId or nicIds win; else the Secret networkId; else an error', () => {
    const s = secret({ networkId: U3 });
    assert.deepEqual(resolveNetworking(spec({ networking: { networkId: U2 } }), s), {
      ok: true,
      value: { networkId: U2 },
      warnings: [],
    });
    assert.deepEqual(resolveNetworking(spec({ networking: { nicIds: [U2] } }), s), {
      ok: true,
      value: { nicIds: [U2] },
      warnings: [],
    });
    assert.deepEqual(resolveNetworking(spec({}), s), { ok: true, value: { networkId: U3 }, warnings: [] });
    const none = resolveNetworking(spec({}), secret());
    assert.ok(!none.ok);
    assert.equal(none.errors[0]?.path, 'providerSpec.networking');
  });
});

describe('resolveBoot', () => {
  test('imageId alone boots from the image', () => {
    assert.deepEqual(resolveBoot(spec({})), { imageId: U1 });
  });

  test('a bootVolume without source is made from imageId, deleted with the server by default', () => {
    assert.deepEqual(resolveBoot(spec({ bootVolume: { size: 30, performanceClass: 'fast' } })), {
      bootVolume: {
        source: { type: 'image', id: U1 },
        deleteOnTermination: true,
        size: 30,
        performanceClass: 'fast',
      },
    });
  });

  test('a bootVolume source is sent as given, without imageId', () => {
    const s = spec({
      imageId: undefined,
      bootVolume: { deleteOnTermination: false, source: { type: 'volume', id: U2 } },
    });
    assert.deepEqual(resolveBoot(s), {
      bootVolume: { source: { type: 'volume', id: U2 }, deleteOnTermination: false },
    });
  });

  test('the Gardener form (source without id, imageId set) boots the image', () => {
    const s = spec({
      bootVolume: { size: null, performanceClass: null, source: { type: 'image', id: null } },
    });
    assert.deepEqual(resolveBoot(s), {
      bootVolume: { source: { type: 'image', id: U1 }, deleteOnTermination: true },
    });
  });
});

describe('resolveServerSettings', () => {
  test('combines everything and reports region and network problems together', () => {
    const good = resolveServerSettings(
      spec({ region: 'eu01' }),
      secret({ networkId: U2, userData: 'u' }),
      'm',
    );
    assert.ok(good.ok);
    assert.deepEqual(good.value, {
      region: 'eu01',
      networking: { networkId: U2 },
      boot: { imageId: U1 },
      userData: 'u',
    });
    const bad = resolveServerSettings(spec({}), secret(), 'm');
    assert.ok(!bad.ok);
    assert.deepEqual(
      bad.errors.map((e) => e.path),
      ['providerSpec.region', 'providerSpec.networking'],
    );
  });
});
