// docs/simulator.md must name exactly the operations the simulator implements (its Operations
// table) and exactly the spec's others as answering 501.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { handlers } from '../../src/simulator/operations.ts';
import { specOperations } from '../../src/simulator/spec.ts';

const doc = readFileSync(new URL('../../docs/simulator.md', import.meta.url), 'utf8');
const specIds = new Set(specOperations().map((o) => o.operationId));
const idsIn = (text: string) =>
  new Set([...text.matchAll(/[A-Z][A-Za-z]+/g)].map((m) => m[0]).filter((w) => specIds.has(w)));
const sorted = (s: Iterable<string>) => [...s].sort();

test('the Operations table lists every implemented operation and nothing else', () => {
  const section = doc.slice(doc.indexOf('### Operations'), doc.indexOf('<!-- not-modelled -->'));
  const table = section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .join('\n');
  assert.deepEqual(sorted(idsIn(table)), sorted(Object.keys(handlers)));
  for (const id of Object.keys(handlers)) assert.ok(specIds.has(id), `${id} is not in the spec`);
});

test('the not-modelled list is exactly the spec operations without a handler', () => {
  const list = doc.slice(doc.indexOf('<!-- not-modelled -->'), doc.indexOf('<!-- /not-modelled -->'));
  const missing = [...specIds].filter((id) => !handlers[id]);
  assert.deepEqual(sorted(idsIn(list)), sorted(missing));
  assert.match(doc, new RegExp(`The other ${missing.length} operations of the spec answer 501`));
});
