import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  genericNamePattern,
  regionPattern,
  uuidPattern,
  zonePattern,
} from '../../src/machine-class/patterns.ts';
import {
  formatFieldErrors,
  parseProviderSpec,
  providerSpecSchema,
} from '../../src/machine-class/provider-spec.ts';

const uuid = fc.uuid().map((u) => u.toLowerCase());
const fields = Object.keys(providerSpecSchema.shape);

const validSpec = fc.record(
  {
    machineType: fc.constantFrom('c2i.4', 'g1.1', 'm2a.1d', 't1.2'),
    imageId: uuid,
    region: fc.constant('eu01'),
    availabilityZone: fc.constantFrom('eu01-1', 'eu01-2', 'eu01-3', 'eu01-m'),
    labels: fc.dictionary(
      fc
        .stringMatching(/^[a-z][a-z0-9./-]{0,20}[a-z0-9]$/)
        .filter((k) => !k.startsWith('stackit-') && !k.startsWith('kubernetes.io/machine')),
      fc.stringMatching(/^[a-z0-9]{0,20}$/),
      { maxKeys: 3 },
    ),
    networking: fc.oneof(
      uuid.map((networkId) => ({ networkId })),
      fc.array(uuid, { minLength: 1, maxLength: 2 }).map((nicIds) => ({ nicIds: [...new Set(nicIds)] })),
    ),
    securityGroups: fc.array(fc.constantFrom('default', 'nodes', 'a b'), { maxLength: 2 }),
    userData: fc.string(),
    bootVolume: fc.record(
      { size: fc.integer({ min: 1, max: 500 }), deleteOnTermination: fc.boolean() },
      { requiredKeys: [] },
    ),
    volumes: fc.uniqueArray(uuid, { maxLength: 2 }),
    keypairName: fc.stringMatching(/^[A-Za-z0-9@._-]{0,30}$/),
    agent: fc.record({ provisioned: fc.boolean() }, { requiredKeys: [] }),
    metadata: fc.dictionary(
      fc.stringMatching(/^[a-z0-9]{1,10}$/),
      fc.oneof(fc.string({ maxLength: 50 }), fc.integer(), fc.boolean()),
      {
        maxKeys: 3,
      },
    ),
    allowedAddresses: fc.constantFrom(['10.96.0.0/11'], '[10.96.0.0/11 100.64.0.0/12]', []),
  },
  { requiredKeys: ['machineType', 'imageId'] },
);

const notMatching = (re: RegExp) => fc.string().filter((s) => !re.test(s));

/** Per field, values that are always invalid (null is excluded: it means unset). */
const badValues: Record<string, fc.Arbitrary<unknown>> = {
  machineType: fc.oneof(fc.integer(), fc.boolean(), notMatching(genericNamePattern)),
  imageId: fc.oneof(fc.integer(), notMatching(uuidPattern)),
  region: fc.oneof(fc.integer(), notMatching(regionPattern)),
  availabilityZone: fc.oneof(fc.integer(), notMatching(zonePattern)),
  labels: fc.oneof(
    fc.constant({ 'stackit-x': 'a' }),
    fc.constant({ 'kubernetes.io/machine': 'a' }),
    fc.string({ minLength: 64, maxLength: 80 }).map((k) => ({ [k]: 'v' })),
    fc.integer().map((n) => ({ a: n })),
    fc.array(fc.string(), { minLength: 1 }),
  ),
  networking: fc.oneof(
    fc.constant({}),
    notMatching(uuidPattern).map((networkId) => ({ networkId })),
    fc.tuple(uuid, uuid).map(([networkId, n]) => ({ networkId, nicIds: [n] })),
    fc.constant({ nicIds: [] }),
  ),
  securityGroups: fc.oneof(
    fc.string(),
    fc.array(notMatching(genericNamePattern), { minLength: 1, maxLength: 3 }),
  ),
  userData: fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string())),
  bootVolume: fc.oneof(
    fc.integer({ max: 0 }).map((size) => ({ size })),
    fc.double({ min: 0.1, max: 100, noInteger: true }).map((size) => ({ size })),
    fc
      .string()
      .filter((t) => !['image', 'volume', 'snapshot'].includes(t))
      .map((type) => ({ source: { type } })),
    fc.constant({ deleteOnTermination: 'yes' }),
  ),
  volumes: fc.oneof(fc.string(), fc.array(notMatching(uuidPattern), { minLength: 1, maxLength: 3 })),
  keypairName: fc.oneof(
    fc.integer(),
    fc.string({ minLength: 128, maxLength: 140 }),
    fc.constant('has space'),
  ),
  affinityGroup: fc.oneof(fc.integer(), notMatching(uuidPattern)),
  serviceAccountMails: fc.oneof(
    fc.constant(['a@sa.stackit.cloud', 'b@sa.stackit.cloud']),
    fc.array(fc.constantFrom('nobody', 'UPPER@x.y', '@x'), { minLength: 1, maxLength: 2 }),
    fc.string(),
  ),
  agent: fc.oneof(
    fc.string().map((provisioned) => ({ provisioned })),
    fc.string(),
    fc.array(fc.boolean()),
  ),
  metadata: fc.oneof(
    fc.constant({ 'a/b': 'x' }),
    fc.object().map((o) => ({ k: o })),
    fc.string({ minLength: 256, maxLength: 300 }).map((v) => ({ k: v })),
    fc.array(fc.string(), { minLength: 1 }),
  ),
  allowedAddresses: fc.oneof(
    fc.constantFrom('999.1.1.1', '10.0.0.0/33', 'example.com', '[1.2.3.4 nope]'),
    fc.integer(),
  ),
};

describe('parseProviderSpec properties', () => {
  test('every field has bad values in this test', () => {
    assert.deepEqual(Object.keys(badValues).toSorted(), fields.toSorted());
  });

  test('generated valid specs are accepted', () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const r = parseProviderSpec(spec);
        assert.ok(r.ok, r.ok ? '' : formatFieldErrors(r.errors));
        assert.deepEqual(r.warnings, []);
      }),
      { numRuns: 300 },
    );
  });

  test('a valid spec with one bad field is rejected, with an error at that field', () => {
    const field = fc.constantFrom(...fields);
    const mutated = fc
      .tuple(validSpec, field)
      .chain(([spec, f]) => badValues[f]!.map((bad) => ({ spec: { ...spec, [f]: bad }, field: f })));
    fc.assert(
      fc.property(mutated, ({ spec, field: f }) => {
        const r = parseProviderSpec(spec);
        assert.equal(r.ok, false, `accepted bad ${f}: ${JSON.stringify(spec[f as keyof typeof spec])}`);
        if (r.ok) return;
        assert.ok(
          r.errors.some((e) => e.path === `providerSpec.${f}` || e.path.startsWith(`providerSpec.${f}.`)),
          `no error at ${f}: ${formatFieldErrors(r.errors)}`,
        );
        for (const e of r.errors) {
          const top = e.path.split('.')[1];
          assert.ok(top !== undefined && fields.includes(top), `error at an unknown path ${e.path}`);
          assert.ok(e.message.length > 0);
        }
        assert.doesNotMatch(formatFieldErrors(r.errors), /[[\]]/);
      }),
      { numRuns: 1000 },
    );
  });

  test('never throws on arbitrary input, and a rejection always names a providerSpec path', () => {
    const anyInput = fc.oneof(
      fc.anything(),
      fc.jsonValue(),
      fc.dictionary(fc.constantFrom(...fields, 'other'), fc.anything()),
    );
    fc.assert(
      fc.property(anyInput, (raw) => {
        const r = parseProviderSpec(raw);
        if (!r.ok) {
          assert.ok(r.errors.length > 0);
          for (const e of r.errors) assert.match(e.path, /^providerSpec(\.|$)/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
