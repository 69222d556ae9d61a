// The docs name commands, files and links that exist: every `make <target>`, `npm run <script>`,
// repository path and relative link in README.md, docs/development.md and kubernetes/README.md.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../stack/binaries.ts';

const docs = ['README.md', 'docs/development.md', 'kubernetes/README.md'];
const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
const makeTargets = [...read('Makefile').matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]);

describe('docs stay true', () => {
  for (const doc of docs) {
    test(doc, () => {
      const text = read(doc);
      const problems: string[] = [];
      for (const [, target] of text.matchAll(/\bmake ([a-z][a-z-]+)/g)) {
        if (!makeTargets.includes(target as string)) problems.push(`make ${target}: no such target`);
      }
      for (const [, script] of text.matchAll(/\bnpm run ([a-z][a-z:-]+)/g)) {
        if (!scripts.includes(script as string)) problems.push(`npm run ${script}: no such script`);
      }
      // Repository paths in backticks or commands: test files, scripts, source and doc files.
      for (const [path] of text.matchAll(
        /\b(?:test|scripts|src|docs|samples|kubernetes|cmd|hack|api)\/[A-Za-z0-9_./-]*[A-Za-z0-9_]\.(?:ts|md|yaml|json|go|sh)\b/g,
      )) {
        if (!path.includes('*') && !existsSync(join(repoRoot, path))) problems.push(`${path}: no such file`);
      }
      for (const [, link] of text.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (!existsSync(join(repoRoot, dirname(doc), link as string)))
          problems.push(`link ${link}: not found`);
      }
      assert.deepEqual(problems, []);
    });
  }
});
