// Every script the project runs with node answers --help with its usage (exit 0) and an unknown
// option with one error line and a hint (exit 2), never a Node stack trace (issue 15).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { repoRoot } from '../../stack/binaries.ts';

const node = join(repoRoot, 'node_modules/.bin/node');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      node,
      [join(repoRoot, script), ...args],
      { cwd: repoRoot, env, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
  });
}

// script, the name its errors start with, how its usage says to run it
const scripts = [
  ['scripts/demo.ts', 'demo', 'npm run demo --'],
  ['scripts/generate.ts', 'generate', 'npm run generate --'],
  ['scripts/gen-machine-class-doc.ts', 'gen-machine-class-doc', 'npx node scripts/gen-machine-class-doc.ts'],
  ['bench/run.ts', 'bench', 'npm run bench --'],
  ['src/simulator/main.ts', 'stackit-simulator', 'stackit-simulator'],
  ['test/mcm-integration/run.ts', 'mcm-integration', 'npm run test:mcm-integration --'],
] as const;

const noTrace = (r: Run) => {
  assert.doesNotMatch(r.stderr, /ERR_PARSE_ARGS|\n\s+at /, `no stack trace:\n${r.stderr}`);
};

describe('scripts: --help and unknown options', { timeout: 120_000 }, () => {
  // All at once: each is a Node start-up and an import graph, nothing more.
  const results = Promise.all(
    scripts.map(async ([script]) => ({
      help: await run(script, ['--help']),
      unknown: await run(script, ['--no-such-option']),
    })),
  );

  for (const [i, [script, name, command]] of scripts.entries()) {
    test(`${script}: --help prints usage and exits 0; an unknown option exits 2 with a hint`, async () => {
      const { help, unknown } = (await results)[i]!;
      assert.equal(help.code, 0, help.stderr);
      assert.match(help.stdout, /^Usage: /);
      assert.match(help.stdout, /-h, --help/);
      noTrace(help);

      assert.equal(unknown.code, 2, unknown.stdout + unknown.stderr);
      assert.equal(
        unknown.stderr,
        `${name}: unknown option '--no-such-option'\nRun \`${command} --help\` for usage.\n`,
      );
      assert.equal(unknown.stdout, '');
    });
  }

  test('a bad option value or an unreadable --seed file is a usage error too', async () => {
    const [replicas, seed] = await Promise.all([
      run('scripts/demo.ts', ['--replicas', 'three']),
      run('scripts/demo.ts', ['--seed', '/nonexistent/seed.yaml']),
    ]);
    assert.equal(replicas.code, 2);
    assert.match(replicas.stderr, /^demo: --replicas must be an integer >= 0, got 'three'\n/);
    noTrace(replicas);
    assert.equal(seed.code, 2);
    assert.match(seed.stderr, /^demo: --seed: seed file \/nonexistent\/seed\.yaml: ENOENT/);
    noTrace(seed);
  });

  test("start: --help is its own; every other flag is the machine-controller's, with or without --", async () => {
    const env = { ...process.env, CONTROL_KUBECONFIG: '', CONTROL_NAMESPACE: '' };
    const [help, plain, separated] = await Promise.all([
      run('scripts/start.ts', ['--help'], env),
      run('scripts/start.ts', ['--v=4'], env),
      run('scripts/start.ts', ['--', '--v=4'], env),
    ]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /^Usage: npm run start -- \[<machine-controller flags>\]/);
    for (const r of [plain, separated]) {
      // Passed through: the run gets as far as its configuration check.
      assert.equal(r.code, 2);
      assert.match(r.stderr, /make start needs CONTROL_KUBECONFIG and CONTROL_NAMESPACE/);
      noTrace(r);
    }
  });
});
