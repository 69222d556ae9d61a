import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  isValidLabelValue,
  isValidServerName,
  labelValueFor,
  serverNameFor,
} from '../../src/machine-class/names.ts';

const long = (n: number, prefix = 'shoot--myproject--mycluster-worker-pool-z1-') =>
  (prefix + 'x'.repeat(n)).slice(0, n);

describe('serverNameFor', () => {
  test('keeps names the API accepts', () => {
    for (const name of ['m1', 'shoot--p--c-worker-z1-5f4d3-abcde', 'a.b.c', 'x'.repeat(63)]) {
      assert.equal(serverNameFor(name), name);
    }
  });

  test('shortens long names to a valid 63-character name with a hash suffix', () => {
    const name = long(200);
    const short = serverNameFor(name);
    assert.equal(short.length, 63);
    assert.ok(isValidServerName(short));
    assert.ok(short.startsWith(name.slice(0, 40)));
    assert.match(short, /-[0-9a-f]{10}$/);
    assert.equal(serverNameFor(name), short, 'deterministic');
  });

  test('two long names sharing the first 63 characters map to different names', () => {
    const a = `${long(70)}-aaaa`;
    const b = `${long(70)}-bbbb`;
    assert.notEqual(serverNameFor(a), serverNameFor(b));
  });

  test('a long name does not collide with a short name equal to its prefix', () => {
    const longName = long(100);
    const prefixName = longName.slice(0, 63);
    assert.equal(serverNameFor(prefixName), prefixName);
    assert.notEqual(serverNameFor(longName), prefixName);
  });

  test('invalid characters and edge positions still give a valid name', () => {
    for (const name of [
      '-a',
      'a-',
      'a..b',
      'under_score',
      'ünïcode',
      '.',
      '',
      `${'a'.repeat(51)}.-b${'c'.repeat(20)}`,
    ]) {
      const out = serverNameFor(name);
      assert.ok(isValidServerName(out), `${JSON.stringify(name)} -> ${JSON.stringify(out)}`);
    }
    assert.notEqual(serverNameFor('under_score'), serverNameFor('under-score'));
  });

  test('property: always valid, deterministic and injective on distinct inputs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 253 }), fc.string({ maxLength: 253 }), (a, b) => {
        const sa = serverNameFor(a);
        assert.ok(isValidServerName(sa), JSON.stringify(a));
        assert.equal(serverNameFor(a), sa);
        if (a !== b) assert.notEqual(serverNameFor(b), sa);
      }),
      { numRuns: 500 },
    );
  });
});

describe('labelValueFor', () => {
  test('keeps valid values, including the empty one', () => {
    for (const v of ['', 'm1', 'shoot--p--c', 'a_b.c-d', 'x'.repeat(63)]) assert.equal(labelValueFor(v), v);
  });

  test('shortens long values to 63 characters with a hash suffix', () => {
    const v = long(253);
    const out = labelValueFor(v);
    assert.equal(out.length, 63);
    assert.ok(isValidLabelValue(out));
    assert.notEqual(labelValueFor(`${v.slice(0, 100)}-1`), labelValueFor(`${v.slice(0, 100)}-2`));
  });

  test('property: always valid, deterministic and injective on distinct inputs', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 253 }), fc.string({ maxLength: 253 }), (a, b) => {
        const la = labelValueFor(a);
        assert.ok(isValidLabelValue(la), JSON.stringify(a));
        assert.equal(labelValueFor(a), la);
        if (a !== b) assert.notEqual(labelValueFor(b), la);
      }),
      { numRuns: 500 },
    );
  });
});
