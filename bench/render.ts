// Re-renders a result's Markdown summary (and latest.md unless --no-latest) from its JSON, with the
// current target evaluation: `npx node bench/render.ts bench/results/<date>-<config>.json`.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type BenchResult, evaluateTargets, markdown } from './lib/report.ts';

const file = process.argv[2];
if (!file?.endsWith('.json')) throw new Error('usage: bench/render.ts <result.json> [--no-latest]');
const r = JSON.parse(readFileSync(file, 'utf8')) as BenchResult;
r.complete ??= true;
r.targets = evaluateTargets(r);
writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
const md = markdown(r, { json: basename(file), charts: r.charts });
writeFileSync(file.replace(/\.json$/, '.md'), md);
if (!process.argv.includes('--no-latest')) writeFileSync(file.replace(/[^/]*\.json$/, 'latest.md'), md);
console.log(`rewrote ${file.replace(/\.json$/, '.md')}`);
