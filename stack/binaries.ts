// Locates kube-apiserver, etcd and machine-controller-manager: the directory printed by
// hack/kube-binaries.sh (which builds them from source on first use and is quick when cached).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const BINARY_NAMES = ['kube-apiserver', 'etcd', 'machine-controller-manager'] as const;

let cached: Promise<string> | undefined;

/**
 * The bin directory: $MCM_STACKIT_BIN_DIR if set, else whatever hack/kube-binaries.sh prints.
 * The script's progress goes to this process's stderr; a cold build takes ~10 minutes.
 */
export function resolveBinDir(): Promise<string> {
  cached ??= locate().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function locate(): Promise<string> {
  const fromEnv = process.env.MCM_STACKIT_BIN_DIR;
  const dir = fromEnv ?? (await runKubeBinariesScript());
  for (const name of BINARY_NAMES) {
    if (!existsSync(join(dir, name))) {
      throw new Error(
        `${name} is missing in ${dir}${fromEnv ? ' (from MCM_STACKIT_BIN_DIR)' : ''}; run hack/kube-binaries.sh`,
      );
    }
  }
  return dir;
}

async function runKubeBinariesScript(): Promise<string> {
  const script = join(repoRoot, 'hack/kube-binaries.sh');
  const child = spawn(script, [], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise<number | null>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', resolveExit);
  });
  if (code !== 0) throw new Error(`hack/kube-binaries.sh failed (exit ${code}); see its output above`);
  const dir = out.trim().split('\n').pop() ?? '';
  if (dir === '') throw new Error('hack/kube-binaries.sh printed no bin directory');
  return dir;
}
