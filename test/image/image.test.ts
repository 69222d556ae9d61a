// The container image, built from the Dockerfile and run the way kubernetes/control/deployment.yaml
// runs it: its ENTRYPOINT with the Deployment's args, uid 65532, a read-only root filesystem with a
// tmpfs on /tmp for the emptyDir, no capabilities, on the host network against the local stack
// (simulator, kube-apiserver, Gardener's MCM, node simulator). The image is built with podman on
// bases made from Debian packages (hack/image.sh --offline), so no registry is needed; the test is
// skipped, with the reason, where podman cannot be installed (not root, no apt).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../../stack/binaries.ts';
import { scale } from '../../stack/deployments.ts';
import { removeOnExit, startProcess, waitFor } from '../../stack/processes.ts';
import { childPids, type MachineControllerContext, type Stack, startStack } from '../../stack/stack.ts';
import { deployment, phaseOf, waitMachines, waitNoMachinesNoServers } from '../e2e/helpers.ts';
import { controlDeployment, localArgs } from '../packaging/manifests.ts';

const IMAGE =
  process.env.MCM_STACKIT_IMAGE ?? 'localhost/machine-controller-manager-provider-stackit:image-test';
const CONTAINER = `mcm-stackit-image-test-${process.pid}`;
// crun fails on cgroups v1/v2 hybrid hosts; podman's default ulimits need CAP_SYS_RESOURCE.
const PODMAN_RUN = [
  '--runtime',
  'runc',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
  '--network',
  'host',
];
const podman = (...args: string[]) =>
  execFileSync('podman', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });

/** Why the image cannot be built and run here, or undefined when it can (tools installed). */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return 'podman and mmdebstrap need Linux';
  const tools = spawnSync(join(repoRoot, 'hack/image-tools.sh'), { encoding: 'utf8', timeout: 600_000 });
  if (tools.status === 2) return tools.stderr.trim();
  if (tools.status !== 0) throw new Error(`hack/image-tools.sh failed:\n${tools.stderr}`);
  return undefined;
}
const skip = unavailable();

const { provider, deployment: podSpec } = controlDeployment();
const TARGET_KUBECONFIG = '/var/run/secrets/machine-controller-manager/target/kubeconfig';

/** `podman run` of the image as the Deployment's second container (what a pod can't have is named). */
function runContainer(ctx: MachineControllerContext, dir: string) {
  const pod = podSpec.spec.template.spec;
  const sc = provider.securityContext;
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.deepEqual(sc.capabilities.drop, ['ALL']);
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(provider.command, undefined, 'the Deployment runs the ENTRYPOINT');
  const tmpVolume = pod.volumes.find((v: { name: string }) => v.name === 'tmp');
  assert.equal(tmpVolume.emptyDir.medium, 'Memory');
  // The Secret volume: mode 0400 plus group read for fsGroup, as the kubelet sets it.
  const kubeconfig = join(dir, 'kubeconfig');
  copyFileSync(ctx.kubeconfigPath, kubeconfig);
  chownSync(kubeconfig, 0, pod.securityContext.fsGroup);
  chmodSync(kubeconfig, 0o440);
  const env = (provider.env as { name: string; value?: string }[]).flatMap((e) =>
    e.name === 'NAMESPACE'
      ? [`NAMESPACE=${ctx.namespace}`]
      : e.value === undefined
        ? []
        : [`${e.name}=${e.value}`],
  );
  return startProcess({
    name: 'machine-controller-image',
    command: 'podman',
    args: [
      'run',
      '--rm',
      `--name=${CONTAINER}`,
      ...PODMAN_RUN,
      `--user=${pod.securityContext.runAsUser}:${pod.securityContext.runAsGroup}`,
      `--group-add=${pod.securityContext.fsGroup}`,
      '--read-only',
      '--read-only-tmpfs=false',
      `--tmpfs=/tmp:rw,nosuid,nodev,size=${tmpVolume.emptyDir.sizeLimit.replace('Mi', 'm')},mode=1777`,
      '--cap-drop=ALL',
      '--security-opt=no-new-privileges',
      `--volume=${kubeconfig}:${TARGET_KUBECONFIG}:ro`,
      ...env.map((e) => `--env=${e}`),
      // The one addition: the simulator instead of the real STACKIT API.
      `--env=STACKIT_IAAS_ENDPOINT=${ctx.simulatorUrl}`,
      IMAGE,
      // The pod's in-cluster control kubeconfig becomes the mounted file (one apiserver here), and
      // the host network needs a free port: everything else is the Deployment's args as they are.
      ...localArgs(provider.args, {
        namespace: ctx.namespace,
        controlKubeconfig: TARGET_KUBECONFIG,
        targetKubeconfig: TARGET_KUBECONFIG,
        port: ctx.port,
      }),
    ],
    logDir: ctx.logDir,
  });
}

/** Runs node inside the running container (as its user) and returns what the script prints. */
function inContainer(script: string): string {
  return podman('exec', CONTAINER, 'node', '-e', script);
}

/** Whether an ELF executable asks for a dynamic loader (PT_INTERP program header). */
function isDynamicElf(file: string): boolean {
  const b = readFileSync(file);
  assert.equal(b.subarray(0, 4).toString('latin1'), '\x7fELF');
  const phoff = Number(b.readBigUInt64LE(0x20));
  const phentsize = b.readUInt16LE(0x36);
  const phnum = b.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) return true;
  return false;
}

const status = (pid: number, field: string) =>
  readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${field}:\\s*(.*)$`, 'm'))?.[1] ?? '';

describe('the image, built and run as the Deployment runs it', { skip, timeout: 1_800_000 }, () => {
  let stack: Stack;
  let dir: string;
  let forget = () => {};

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcm-stackit-image-'));
    forget = removeOnExit(dir);
    if (!process.env.MCM_STACKIT_IMAGE) {
      const t0 = Date.now();
      const build = spawnSync(join(repoRoot, 'hack/image.sh'), ['--offline', IMAGE], {
        encoding: 'utf8',
        env: { ...process.env, CONTAINER_ENGINE: 'podman' },
        timeout: 1_500_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.equal(build.status, 0, `hack/image.sh --offline failed:\n${build.stderr.slice(-8000)}`);
      console.log(`# image ${IMAGE} built (or reused) in ${Math.round((Date.now() - t0) / 1000)} s`);
    }
    spawnSync('podman', ['rm', '--force', '--ignore', CONTAINER]);
    stack = await startStack({
      namespace: 'shoot--image--test',
      startMachineController: (ctx) => runContainer(ctx, dir),
    });
  });

  after(async () => {
    await stack?.stop();
    spawnSync('podman', ['rm', '--force', '--ignore', CONTAINER]);
    forget();
  });

  test('the image: ENTRYPOINT, user 65532, no shell in the offline base', () => {
    const [config] = JSON.parse(podman('image', 'inspect', IMAGE)) as {
      Config: { User: string; Entrypoint: string[]; Env: string[] };
      RootFS: { Layers: string[] };
      Size: number;
    }[];
    assert.ok(config);
    assert.equal(config.Config.User, '65532:65532');
    assert.deepEqual(config.Config.Entrypoint, ['/app/machine-controller']);
    assert.ok(config.Config.Env.includes('TMPDIR=/tmp'));
    console.log(`# image size ${(config.Size / 1e6).toFixed(1)} MB, ${config.RootFS.Layers.length} layers`);
    const sh = spawnSync(
      'podman',
      ['run', '--rm', ...PODMAN_RUN, '--entrypoint=/bin/sh', IMAGE, '-c', 'true'],
      {
        encoding: 'utf8',
      },
    );
    assert.notEqual(sh.status, 0, 'the runtime base has no shell');
  });

  test('/app is the npm package and its production dependencies; the binary is static', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    const app = JSON.parse(
      inContainer(`
        const fs = require('node:fs'); const files = []; const leaks = [];
        const walk = (d) => { for (const e of fs.readdirSync('/app/' + d, { withFileTypes: true })) {
          const p = d ? d + '/' + e.name : e.name;
          if (p === 'node_modules') continue;
          if (e.isDirectory()) walk(p); else files.push(p);
          if (e.isFile() && /-----BEGIN [A-Z ]*PRIVATE KEY-----|"privateKey"\\s*:\\s*"-----BEGIN/.test(fs.readFileSync('/app/' + p, 'latin1'))) leaks.push(p);
        } };
        walk('');
        const modules = fs.readdirSync('/app/node_modules').flatMap((e) => e.startsWith('@')
          ? fs.readdirSync('/app/node_modules/' + e).map((s) => e + '/' + s) : [e]);
        process.stdout.write(JSON.stringify({ files, leaks, modules }));`),
    ) as { files: string[]; leaks: string[]; modules: string[] };
    const forbidden = app.files.filter(
      (p) =>
        /^(test|bench|scripts|hack|proto|src)\//.test(p) ||
        (/\.ts$/.test(p) && !p.endsWith('.d.ts')) ||
        /\.(pem|key|tgz|log)$|state\.json$|serviceaccount\.json$|\.kubeconfig$/.test(p),
    );
    assert.deepEqual(forbidden, [], 'sources, tests, state or keys in /app');
    assert.deepEqual(app.leaks, [], 'files with a private key in /app');
    for (const must of [
      'machine-controller',
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'dist/src/plugin/main.js',
      'dist/src/simulator/main.js',
      'api/stackit-iaas/iaas-v2.json',
      'kubernetes/control/deployment.yaml',
      'samples/machine-class.yaml',
      'docs/operations.md',
      ...Object.values(pkg.bin as Record<string, string>),
    ]) {
      assert.ok(app.files.includes(must), `/app lacks ${must}`);
    }
    for (const dep of Object.keys(pkg.dependencies)) assert.ok(app.modules.includes(dep), `missing ${dep}`);
    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
    const devOnly = Object.entries(lock.packages as Record<string, { dev?: boolean }>)
      .filter(([path, p]) => p.dev === true && path.startsWith('node_modules/'))
      .map(([path]) => path.slice('node_modules/'.length))
      .filter((name) => !name.includes('/node_modules/') && app.modules.includes(name));
    assert.deepEqual(devOnly, [], 'dev-only packages in the image');
    const mcPid = Number(podman('inspect', '--format', '{{.State.Pid}}', CONTAINER).trim());
    assert.equal(isDynamicElf(`/proc/${mcPid}/exe`), false, 'CGO_ENABLED=0 build is static');
  });

  test('runs as uid 65532, plugin on Node 24 from dist/, nothing writable but TMPDIR', async () => {
    const mcPid = Number(podman('inspect', '--format', '{{.State.Pid}}', CONTAINER).trim());
    assert.ok(mcPid > 0);
    assert.deepEqual(status(mcPid, 'Uid').split(/\s+/), ['65532', '65532', '65532', '65532']);
    assert.deepEqual(status(mcPid, 'Gid').split(/\s+/), ['65532', '65532', '65532', '65532']);
    assert.equal(status(mcPid, 'CapEff'), '0000000000000000');
    assert.equal(status(mcPid, 'NoNewPrivs'), '1');
    await waitFor(() => childPids(mcPid).length === 1, { timeoutMs: 30_000, what: 'the plugin' });
    const plugin = childPids(mcPid)[0] as number;
    // `node [node flags] /app/dist/src/plugin/main.js`: the default command may carry V8/Node flags.
    const cmdline = readFileSync(`/proc/${plugin}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.equal(cmdline[0], 'node', cmdline.join(' '));
    assert.equal(cmdline.at(-1), '/app/dist/src/plugin/main.js', cmdline.join(' '));
    assert.ok(
      cmdline.slice(1, -1).every((a) => a.startsWith('--')),
      `only flags between node and the plugin: ${cmdline.join(' ')}`,
    );
    assert.equal(status(plugin, 'Uid').split(/\s+/)[0], '65532');
    assert.match(inContainer('process.stdout.write(process.version)'), /^v24\./);

    // Every directory and file outside the kernel's (/proc, /sys, /dev) refuses writes but /tmp,
    // where the plugin keeps its socket directory.
    const writable = JSON.parse(
      inContainer(`
        const fs = require('node:fs'); const out = [];
        const walk = (p) => {
          if (['/proc', '/sys', '/dev'].includes(p)) return;
          try { fs.accessSync(p, fs.constants.W_OK); out.push(p); } catch {}
          let st; try { st = fs.lstatSync(p); } catch { return; }
          if (!st.isDirectory()) return;
          let entries = []; try { entries = fs.readdirSync(p); } catch {} // root's 0700 dirs: nothing to write there
          for (const e of entries) walk(p === '/' ? '/' + e : p + '/' + e);
        };
        walk('/'); process.stdout.write(JSON.stringify(out));`),
    ) as string[];
    assert.ok(writable.length > 0 && writable[0] === '/tmp', JSON.stringify(writable));
    assert.deepEqual(
      writable.filter((p) => p !== '/tmp' && !p.startsWith('/tmp/')),
      [],
      'writable outside TMPDIR',
    );
    // /tmp holds exactly the plugin's socket directory.
    assert.match(
      inContainer(`process.stdout.write(require('node:fs').readdirSync('/tmp').join(','))`),
      /^[^,]+$/,
    );
    const mounts = inContainer(
      `process.stdout.write(require('node:fs').readFileSync('/proc/self/mounts','utf8'))`,
    );
    assert.match(mounts, /^\S+ \/ \S+ ro[,\s]/m, 'the root filesystem is mounted read-only');
  });

  test('a MachineDeployment 0 -> 2 -> 0 on the simulator; /healthz and /metrics', async () => {
    const base = `http://127.0.0.1:${stack.machineControllerPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await stack.createClass('image-class');
    await stack.objects.create('machinedeployments', deployment(stack, 'image-workers', 'image-class', 0));
    await scale(stack, 'image-workers', 2);
    const running = await waitMachines(
      stack,
      '2 Running machines',
      (ms) => ms.length === 2 && ms.every((m) => phaseOf(m) === 'Running'),
    );
    assert.equal(stack.sim.servers().length, 2);
    assert.equal(new Set(running.map((m) => m.spec.providerID)).size, 2);
    await scale(stack, 'image-workers', 0);
    await waitNoMachinesNoServers(stack);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^stackit_driver_plugin_metrics_up 1$/m);
    for (const service of ['CreateServer', 'DeleteServer']) {
      const line = new RegExp(`^mcm_cloud_api_requests_total\\{[^}]*service="${service}"[^}]*\\} [1-9]`, 'm');
      assert.match(metrics, line, `MCM's cloud API metric for ${service}`);
    }
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  test('stops on SIGTERM with exit 0, the container removed', async () => {
    const mc = stack.machineController;
    const exit = await mc.stop(30_000);
    assert.equal(exit.code, 0, mc.tail());
    assert.equal(
      spawnSync('podman', ['container', 'exists', CONTAINER]).status,
      1,
      'container removed (--rm)',
    );
  });
});
