// The image without docker: the Dockerfile's steps replayed into a temp dir (a clean copy of the
// tree, `tsc` build, `npm pack`, production dependencies from the lockfile, the Go binary built with
// the Dockerfile's flags), then the result is checked and run like the image's ENTRYPOINT: `--help`,
// and the Deployment's flags against a real control plane, with the plugin started from the compiled
// dist/ by the default lookup and `node` from PATH, its socket under $TMPDIR.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../../stack/binaries.ts';
import { type ControlPlane, startControlPlane } from '../../stack/control-plane.ts';
import { createNamespace } from '../../stack/mcm-objects.ts';
import { PLUGIN_NODE_FLAGS } from '../../stack/plugin-command.ts';
import { freePort, type ManagedProcess, removeOnExit, startProcess, waitFor } from '../../stack/processes.ts';
import { controlDeployment, localArgs } from './manifests.ts';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
const run = (cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync(cmd, args, {
    cwd,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });

/** Direct children of `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

/** Whether an ELF executable asks for a dynamic loader (PT_INTERP program header). */
function isDynamicElf(file: string): boolean {
  const b = readFileSync(file);
  assert.equal(b.subarray(0, 4).toString('latin1'), '\x7fELF');
  assert.equal(b[4], 2, 'ELF64');
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return true;
  return false;
}

describe('the image layout, reproduced from the Dockerfile steps', { timeout: 600_000 }, () => {
  let dir: string;
  let forget: () => void = () => {};
  let app: string; // /app in the image
  let packed: { path: string; mode: number }[] = [];
  let pathWithNode24: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mcm-stackit-image-'));
    forget = removeOnExit(dir);
    // A clean checkout: tracked and untracked-but-not-ignored files, as `docker build` would see
    // them minus .dockerignore (what pack ships is governed by package.json "files").
    const tree = join(dir, 'tree');
    const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repoRoot)
      .split('\0')
      .filter((f) => f && existsSync(join(repoRoot, f)));
    for (const f of files) {
      mkdirSync(dirname(join(tree, f)), { recursive: true });
      copyFileSync(join(repoRoot, f), join(tree, f));
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(tree, 'node_modules'));
    // Stage 2 of the Dockerfile: npm run build, npm pack, production dependencies.
    assert.match(dockerfile, /RUN npm run build\n/);
    run(
      process.execPath,
      [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      tree,
    );
    assert.match(dockerfile, /npm pack --pack-destination \/tmp/);
    const out = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], tree)) as {
      filename: string;
      files: { path: string; mode: number }[];
    }[];
    const [info] = out;
    assert.ok(info);
    packed = info.files;
    app = join(dir, 'app');
    mkdirSync(app);
    run('tar', ['-xzf', join(dir, info.filename), '-C', app, '--strip-components=1'], dir);
    copyFileSync(join(repoRoot, 'package-lock.json'), join(app, 'package-lock.json'));
    copyFileSync(join(repoRoot, '.npmrc'), join(app, '.npmrc'));
    const prodInstall = 'npm install --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline';
    assert.ok(dockerfile.includes(prodInstall), 'the Dockerfile installs production dependencies this way');
    run('npm', prodInstall.split(' ').slice(1), app);
    // Stage 1: the Go binary, with the Dockerfile's exact flags.
    const goBuild = 'go build -trimpath -ldflags=-s -o /out/machine-controller .';
    assert.ok(dockerfile.includes(`\n    ${goBuild}`), 'the Dockerfile builds the binary this way');
    const args = goBuild.split(' ').slice(1);
    args[args.indexOf('/out/machine-controller')] = join(app, 'machine-controller');
    run('go', args, join(repoRoot, 'cmd/machine-controller'), {
      ...process.env,
      CGO_ENABLED: '0',
      GOTOOLCHAIN: 'local',
    });
    // The runtime image has Node 24 as `node` on PATH (and no other node next to /app).
    const bin = join(dir, 'path');
    mkdirSync(bin);
    symlinkSync(realpathSync(join(repoRoot, 'node_modules/.bin/node')), join(bin, 'node'));
    pathWithNode24 = `${bin}:/usr/bin:/bin`;
  });

  after(() => forget());

  test('npm pack ships the compiled driver, the manifests and docs; no sources, tests, state or keys', () => {
    const paths = packed.map((f) => f.path);
    const forbidden = paths.filter(
      (p) =>
        /^(test|bench|scripts|cmd|hack|proto|src)\//.test(p) ||
        /\.ts$/.test(p) ||
        /\.(pem|key|tgz|log)$/.test(p) ||
        /state\.json$|serviceaccount\.json$|\.kubeconfig$/.test(p),
    );
    assert.deepEqual(forbidden, []);
    for (const must of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/src/plugin/main.js',
      'dist/src/simulator/main.js',
      'dist/src/driver/stackit/index.js',
      'api/stackit-iaas/iaas-v2.json',
      'kubernetes/control/deployment.yaml',
      'samples/machine-class.yaml',
    ]) {
      assert.ok(paths.includes(must), `the package lacks ${must}`);
    }
    // No file carries a private key or a filled-in service account key.
    const leaks = paths.filter((p) => {
      const text = readFileSync(join(app, p), 'latin1');
      return /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text) || /"privateKey"\s*:\s*"-----BEGIN/.test(text);
    });
    assert.deepEqual(leaks, []);
  });

  test('package.json: Node 24 engines, bin entries that exist in the package and run', () => {
    assert.equal(pkg.engines.node, '>=24.0.0 <25');
    assert.equal(pkg.license, 'Apache-2.0');
    for (const [name, file] of Object.entries(pkg.bin as Record<string, string>)) {
      assert.ok(existsSync(join(app, file)), `bin ${name}: ${file} is not in the package`);
      assert.match(readFileSync(join(app, file), 'utf8'), /^#!\/usr\/bin\/env node\n/, `bin ${name} shebang`);
    }
    // npm makes bins executable when it installs them; the image runs them with node.
    const sim = spawnSync('node', [join(app, pkg.bin['stackit-simulator']), '--help'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: pathWithNode24 },
      timeout: 60_000,
    });
    assert.equal(sim.status, 0, sim.stderr);
    assert.match(sim.stdout, /Usage: stackit-simulator/);
  });

  test('only production dependencies are installed, and all of them', () => {
    const installed = new Set(
      readdirSync(join(app, 'node_modules')).flatMap((e) =>
        e.startsWith('@') ? readdirSync(join(app, 'node_modules', e)).map((s) => `${e}/${s}`) : [e],
      ),
    );
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(installed.has(dep), `missing ${dep}`);
    // Nothing that the lockfile marks dev-only (typescript, biome, the `node` package, ...).
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
    const devOnly = Object.entries(lock.packages as Record<string, { dev?: boolean }>)
      .filter(([path, p]) => p.dev === true && path.startsWith('node_modules/'))
      .map(([path]) => path.slice('node_modules/'.length))
      .filter((name) => !name.includes('/node_modules/') && installed.has(name));
    assert.deepEqual(devOnly, [], 'dev-only packages in the image');
    assert.ok(!installed.has('typescript') && !installed.has('node'));
    assert.ok(!existsSync(join(app, 'node_modules/.bin/node')), 'no second Node next to /app');
  });

  test('the machine-controller is a static binary and --help works from the layout', () => {
    assert.equal(isDynamicElf(join(app, 'machine-controller')), false, 'CGO_ENABLED=0 build is static');
    const r = spawnSync(join(app, 'machine-controller'), ['--help'], {
      encoding: 'utf8',
      env: { PATH: pathWithNode24, HOME: dir },
      timeout: 60_000,
    });
    const text = `${r.stdout}${r.stderr}`;
    for (const f of [
      '--control-kubeconfig',
      '--target-kubeconfig',
      '--namespace',
      '--driver-plugin-command',
    ]) {
      assert.ok(text.includes(`${f} `), `--help lacks ${f}`);
    }
  });

  describe('with the Deployment flags against a real control plane', () => {
    let cp: ControlPlane | undefined;
    let mc: ManagedProcess | undefined;
    after(async () => {
      await mc?.stop();
      await cp?.stop();
    });

    test('starts the plugin from dist/ with node from PATH, socket under TMPDIR, and stops cleanly', async () => {
      cp = await startControlPlane({ logDir: dir });
      const namespace = 'shoot--image--layout';
      await createNamespace(cp.kubeConfig, namespace);
      const { provider } = controlDeployment();
      const port = await freePort();
      const tmp = mkdtempSync(join(dir, 'tmpfs-'));
      const env = Object.fromEntries(
        (provider.env as { name: string; value?: string }[])
          .filter((e) => typeof e.value === 'string')
          .map((e) => [e.name, e.value as string]),
      );
      assert.equal(env.TMPDIR, '/tmp');
      mc = startProcess({
        name: 'image-machine-controller',
        command: join(app, 'machine-controller'),
        args: localArgs(provider.args, {
          namespace,
          controlKubeconfig: cp.kubeconfigPath,
          targetKubeconfig: cp.kubeconfigPath,
          port,
        }),
        // The image's environment: no MC_DRIVER_PLUGIN_CMD, only what the Dockerfile and the
        // Deployment set; /tmp stands for the pod's emptyDir.
        env: { ...env, PATH: pathWithNode24, HOME: '/nonexistent', NODE_ENV: 'production', TMPDIR: tmp },
        cwd: app,
        logDir: dir,
      });
      const proc = mc;
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true,
        {
          timeoutMs: 120_000,
          what: 'machine-controller /healthz from the image layout',
          process: proc,
        },
      );
      const plugins = childrenOf(proc.pid).map(cmdline);
      assert.equal(plugins.length, 1, JSON.stringify(plugins));
      const argv = plugins[0] as string[];
      const [node, script] = [argv[0], argv.at(-1)];
      assert.equal(node, 'node', 'plain `node`, looked up on PATH');
      assert.deepEqual(argv.slice(1, -1), [...PLUGIN_NODE_FLAGS], "the default command's V8 flags");
      const pluginPid = childrenOf(proc.pid)[0] as number;
      assert.equal(
        realpathSync(`/proc/${pluginPid}/exe`),
        realpathSync(join(dir, 'path/node')),
        'Node 24 from PATH',
      );
      assert.equal(script, join(app, 'dist/src/plugin/main.js'), 'the compiled plugin, not src/');
      const socketDirs = readdirSync(tmp);
      assert.equal(socketDirs.length, 1, 'one socket directory under TMPDIR');
      // Leader election on, as in the Deployment.
      await proc.waitForLog(/successfully acquired lease/, 60_000);
      const status = await proc.stop(15_000);
      assert.equal(status.code, 0, proc.tail());
      assert.deepEqual(readdirSync(tmp), [], 'the socket directory is removed on exit');
    });
  });
});
