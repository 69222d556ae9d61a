// `make demo` as a new user runs it: every Machine goes from creating to Pending to Running, and the
// demo never prints a failure phase for a healthy boot (issue 14). Runs the real script, --exit.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../stack/binaries.ts';

describe('e2e: the demo', { timeout: 600_000 }, () => {
  test('2 Machines with a 20 s boot: only (creating), Pending and Running are ever shown', async (t) => {
    const child = spawn(
      join(repoRoot, 'node_modules/.bin/node'),
      [join(repoRoot, 'scripts/demo.ts'), '--replicas', '2', '--boot-delay', '20000', '--exit'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    t.diagnostic(
      out
        .split('\n')
        .filter((l) => l.includes('s: ') || l.includes('Running after'))
        .join('\n'),
    );
    assert.equal(code, 0, out);
    assert.match(out, /all 2 machines Running after/);
    const phases = new Set([...out.matchAll(/demo-workers-[a-z0-9-]+ (\S+) /g)].map((m) => m[1]));
    assert.ok(phases.has('(creating)'), `phases shown: ${[...phases]}`);
    assert.deepEqual(
      [...phases].filter((p) => !['(creating)', 'Pending', 'Running'].includes(p!)),
      [],
      'no CrashLoopBackOff, no Failed',
    );
  });
});
