// The official STACKIT Go SDK's key flow (stackit-sdk-go/core v0.26.0 clients.KeyFlow) against the
// simulator: assertion grant, then the refresh grant the SDK still uses, then authenticated calls.
// Skipped when no Go toolchain is installed or the module cannot be fetched.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { projectPath, start } from './helpers.ts';

const run = promisify(execFile);
const moduleDir = fileURLToPath(new URL('./go-keyflow/', import.meta.url));

function goAvailable(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('STACKIT Go SDK key flow', { skip: goAvailable() ? false : 'no Go toolchain' }, () => {
  test('the SDK gets tokens from the simulator and its calls are accepted', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-go-keyflow-'));
    const sim = await start({ noAuth: false, tokenTtlSeconds: 6 });
    try {
      const bin = join(dir, 'keyflow');
      try {
        await run('go', ['build', '-o', bin, '.'], { cwd: moduleDir, timeout: 300_000 });
      } catch (e) {
        const msg = String((e as { stderr?: string }).stderr ?? e);
        if (/proxy|dial tcp|no such host|module lookup disabled|403 Forbidden/i.test(msg)) {
          t.skip(`SDK module not available: ${msg.split('\n')[0]}`);
          return;
        }
        throw e;
      }
      const key = await sim.createServiceAccountKey({ name: 'go-sdk' });
      const keyFile = join(dir, 'key.json');
      writeFileSync(keyFile, JSON.stringify(key), { mode: 0o600 });
      // Token TTL 6 s with the SDK's 5 s leeway: the second and third calls need fresh tokens.
      const { stdout } = await run(bin, [keyFile, `${sim.url}${projectPath(sim)}/servers`, '3', '1200'], {
        timeout: 60_000,
      });
      assert.deepEqual(stdout.trim().split('\n'), ['200', '200', '200']);
      const c = sim.counters();
      assert.equal(c.byOperationAndStatus.ListServers?.['200'], 3);
      assert.ok((c.byOperationAndStatus.Token?.['200'] ?? 0) >= 2, JSON.stringify(c.byOperation));
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
