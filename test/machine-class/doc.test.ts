import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { docPath, renderDoc } from '../../scripts/gen-machine-class-doc.ts';
import { providerSpecSchema } from '../../src/machine-class/provider-spec.ts';
import { objectShape } from '../../src/machine-class/schema-walk.ts';
import { secretKeyDocs } from '../../src/machine-class/secret.ts';

/** The cells of the table row whose first cell is `name` in backticks. */
function rowCells(doc: string, name: string): string[] | undefined {
  for (const line of doc.split('\n')) {
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] === `\`${name}\``) return cells;
  }
  return undefined;
}

describe('docs/machine-class.md', () => {
  test('is up to date with the schemas and samples (regenerate: npx node scripts/gen-machine-class-doc.ts)', () => {
    assert.equal(readFileSync(docPath, 'utf8'), renderDoc());
  });

  test('documents every providerSpec field, nested ones included, and every Secret key', () => {
    const doc = renderDoc();
    const walk = (shape: Record<string, unknown>, prefix: string): string[] =>
      Object.entries(shape).flatMap(([k, s]) => {
        const nested = objectShape(s as never);
        return [`${prefix}${k}`, ...(nested ? walk(nested, `${prefix}${k}.`) : [])];
      });
    const fields = walk(providerSpecSchema.shape, '');
    assert.ok(fields.includes('bootVolume.source.type'));
    for (const f of fields) {
      const cells = rowCells(doc, f);
      assert.ok(cells, `no row for ${f}`);
      const description = cells.at(-1) ?? '';
      assert.ok(description.length > 10, `no description for ${f}`);
    }
    for (const k of secretKeyDocs) assert.ok(rowCells(doc, k.key), `no row for Secret key ${k.key}`);
  });
});
