// Writes docs/machine-class.md from the ProviderSpec and Secret schemas (src/machine-class) and the samples.
// `--check` fails when the committed file differs (test/machine-class/doc.test.ts runs the same comparison).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMachineClassDoc } from '../src/machine-class/machine-class-doc.ts';

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
  const content = renderDoc();
  if (process.argv.includes('--check')) {
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
