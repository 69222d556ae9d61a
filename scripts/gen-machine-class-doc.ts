// Writes docs/machine-class.md from the ProviderSpec and Secret schemas (src/machine-class) and the samples.
// `--check` fails when the committed file differs (test/machine-class/doc.test.ts runs the same comparison).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMachineClassDoc } from '../src/machine-class/machine-class-doc.ts';
import { parseCli } from '../src/util/cli.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const docPath = join(root, 'docs', 'machine-class.md');
export const sampleFiles = [
  'machine-class.yaml',
  'machine-class-minimal.yaml',
  'machine-class-gardener.yaml',
  'secret.yaml',
  'secret-gardener.yaml',
] as const;

export function renderDoc(): string {
  const samples = Object.fromEntries(
    sampleFiles.map((f) => [f, readFileSync(join(root, 'samples', f), 'utf8')] as const),
  );
  return renderMachineClassDoc(samples);
}

if (import.meta.main) {
  const { check } = parseCli({
    name: 'gen-machine-class-doc',
    command: 'npx node scripts/gen-machine-class-doc.ts',
    usage: `Usage: npx node scripts/gen-machine-class-doc.ts [--check]

Writes docs/machine-class.md from the providerSpec and Secret schemas (src/machine-class) and samples/.

  --check      fail when the committed file differs instead of writing it
  -h, --help   this text
`,
    options: { check: { type: 'boolean', default: false } },
  }).values;
  const content = renderDoc();
  if (check) {
    let current = '';
    try {
      current = readFileSync(docPath, 'utf8');
    } catch {}
    if (current !== content) {
      console.error('docs/machine-class.md is stale: run `npx node scripts/gen-machine-class-doc.ts`');
      process.exit(1);
    }
  } else {
    writeFileSync(docPath, content);
  }
}
