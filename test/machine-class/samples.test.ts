import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { formatFieldErrors } from '../../src/machine-class/field-error.ts';
import { parseProviderSpec } from '../../src/machine-class/provider-spec.ts';
import { resolveBoot } from '../../src/machine-class/resolve.ts';
import { parseSecret } from '../../src/machine-class/secret.ts';
import { makeServiceAccountKey } from './fixtures.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const load = (name: string) => YAML.parse(readFileSync(join(root, 'samples', name), 'utf8'));

describe('sample MachineClasses validate', () => {
  for (const name of ['machine-class.yaml', 'machine-class-minimal.yaml', 'machine-class-gardener.yaml']) {
    test(name, () => {
      const doc = load(name);
      assert.equal(doc.kind, 'MachineClass');
      assert.equal(doc.provider, 'stackit');
      const r = parseProviderSpec(doc.providerSpec);
      assert.ok(r.ok, r.ok ? '' : formatFieldErrors(r.errors));
      assert.deepEqual(r.warnings, []);
    });
  }

  test('the full sample sets every providerSpec field', async () => {
    const { providerSpecSchema } = await import('../../src/machine-class/provider-spec.ts');
    const spec = load('machine-class.yaml').providerSpec;
    assert.deepEqual(Object.keys(spec).toSorted(), Object.keys(providerSpecSchema.shape).toSorted());
  });

  test('the Gardener-rendered class carries nulls and the %v address form, and boots its image', () => {
    const spec = load('machine-class-gardener.yaml').providerSpec;
    assert.equal(spec.bootVolume.size, null);
    assert.equal(spec.bootVolume.performanceClass, null);
    assert.deepEqual(spec.allowedAddresses, ['100.96.0.0/11 100.64.0.0/12']);
    const r = parseProviderSpec(spec);
    assert.ok(r.ok);
    assert.deepEqual(r.spec.allowedAddresses, ['100.96.0.0/11', '100.64.0.0/12']);
    assert.deepEqual(resolveBoot(r.spec), {
      bootVolume: { source: { type: 'image', id: spec.bootVolume.source.id }, deleteOnTermination: true },
    });
    assert.deepEqual(r.spec.labels, { 'kubernetes.io/cluster': 'shoot--myproject--mycluster' });
  });

  test('the Gardener class with an image known only by name fails with a hint', () => {
    const spec = load('machine-class-gardener.yaml').providerSpec;
    spec.bootVolume.source.id = null;
    const r = parseProviderSpec(spec);
    assert.ok(!r.ok);
    assert.match(formatFieldErrors(r.errors), /bootVolume\.source\.id: is required.*cloud profile/);
  });
});

describe('sample Secrets', () => {
  const stringData = (name: string) => load(name).stringData as Record<string, string>;
  const asData = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v)]));

  for (const [name, keyName] of [
    ['secret.yaml', 'serviceAccountKey'],
    ['secret-gardener.yaml', 'serviceaccount.json'],
  ] as const) {
    test(`${name} holds a placeholder key, which the key check rejects`, () => {
      const values = stringData(name);
      assert.match(values[keyName]!, /^<paste the key JSON/);
      const r = parseSecret(asData(values));
      assert.ok(!r.ok);
      assert.deepEqual(
        r.errors.map((e) => e.path),
        [keyName === 'serviceAccountKey' ? 'secret.serviceAccountKey' : 'secret."serviceaccount.json"'],
      );
    });

    test(`${name} validates with a real key in place of the placeholder`, () => {
      const values = { ...stringData(name), [keyName]: makeServiceAccountKey().json };
      const r = parseSecret(asData(values));
      assert.ok(r.ok, r.ok ? '' : formatFieldErrors(r.errors));
      assert.deepEqual(r.warnings, []);
    });
  }
});
