// src/plugin/main.ts as a process, as go-plugin runs it: cookie check, handshake line on stdout,
// logs on stderr only, graceful exit on SIGTERM.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ListMachinesResponse } from '../../src/plugin/generated/stackit/driver/v1/driver.ts';
import { APP_PROTOCOL_VERSION, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../src/plugin/handshake.ts';
import { driverClient, invoke, machineClass, md, secret, within } from './helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const main = join(root, 'src/plugin/main.ts');

function run(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, main], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exited = (p: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (p.exitCode !== null) resolve(p.exitCode);
    else p.once('exit', (code) => resolve(code));
  });

function collect(stream: NodeJS.ReadableStream): () => string {
  let text = '';
  stream.on('data', (d) => {
    text += String(d);
  });
  return () => text;
}

test('refuses to run without the magic cookie and says why', async () => {
  const p = run({});
  const stderr = collect(p.stderr!);
  const stdout = collect(p.stdout!);
  assert.equal(await exited(p), 1);
  assert.match(stderr(), /started by it/);
  assert.equal(stdout(), '');
});

test('refuses a host that does not offer its protocol version', async () => {
  const p = run({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '99' });
  const stderr = collect(p.stderr!);
  assert.equal(await exited(p), 1);
  assert.match(stderr(), /protocol version/);
});

test('prints the go-plugin handshake, serves, and exits cleanly on SIGTERM', async () => {
  const p = run({
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: String(APP_PROTOCOL_VERSION),
    MC_DRIVER: 'inmemory',
    LOG_LEVEL: 'debug', // successful calls are logged at debug
  });
  try {
    const stderr = collect(p.stderr!);
    const stdout = collect(p.stdout!);
    const line = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no handshake; stderr: ${stderr()}`)), 20_000);
      p.stdout!.on('data', () => {
        if (stdout().includes('\n')) {
          clearTimeout(t);
          resolve(stdout().split('\n')[0]!);
        }
      });
    });
    const parts = line.split('|');
    assert.deepEqual(
      [parts[0], parts[1], parts[2], parts[4]],
      ['1', String(APP_PROTOCOL_VERSION), 'unix', 'grpc'],
    );
    const socketPath = parts[3]!;
    assert.ok(existsSync(socketPath));

    const client = driverClient(socketPath);
    const res = await invoke<ListMachinesResponse>((cb) =>
      client.listMachines(
        { machineClass: machineClass(), secret: secret({}), machineProviderIds: {}, machinesListed: false },
        md(),
        within(),
        cb,
      ),
    );
    client.close();
    assert.deepEqual(res.machineList, {});

    p.kill('SIGTERM');
    assert.equal(await exited(p), 0);
    assert.ok(!existsSync(dirname(socketPath)), 'socket dir removed');
    // stdout holds the handshake line and nothing else; logs went to stderr.
    assert.equal(stdout(), `${line}\n`);
    assert.match(stderr(), /"msg":"driver call"/);
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
  }
});

test('selecting an unknown driver fails at start with an explicit error', async () => {
  const p = run({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, MC_DRIVER: 'nope' });
  const stderr = collect(p.stderr!);
  assert.equal(await exited(p), 1);
  assert.match(stderr(), /unknown driver \\"nope\\"/);
});

test('exits on its own when the machine-controller dies without stopping it', async () => {
  const sh = spawn('sh', ['-c', `"${process.execPath}" "${main}" & echo "pid:$!"; wait`], {
    env: { PATH: process.env.PATH, [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, MC_DRIVER: 'inmemory' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let pluginPid = 0;
  try {
    const stdout = collect(sh.stdout!);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no handshake: ${stdout()}`)), 20_000);
      sh.stdout!.on('data', () => {
        if (/\|grpc\n/.test(stdout())) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    pluginPid = Number(/pid:(\d+)/.exec(stdout())?.[1]);
    assert.ok(pluginPid > 0);
    sh.kill('SIGKILL');
    const alive = () => {
      try {
        process.kill(pluginPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${pluginPid}/stat`, 'utf8');
    } catch {}
    assert.ok(!alive(), `plugin still running after its parent died: ${state}`);
  } finally {
    if (sh.exitCode === null) sh.kill('SIGKILL');
    try {
      if (pluginPid) process.kill(pluginPid, 'SIGKILL');
    } catch {}
  }
});

test('stdout after the handshake is redirected to stderr (go-plugin would drop it)', async () => {
  const p = run({ [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, MC_DRIVER: 'inmemory' }, [
    '--import',
    'data:text/javascript,setTimeout(() => console.log("stray output"), 1000)',
  ]);
  try {
    const stdout = collect(p.stdout!);
    const stderr = collect(p.stderr!);
    for (let i = 0; i < 100 && !stderr().includes('stray output'); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.match(stderr(), /stray output/);
    assert.match(stdout(), /^1\|\d+\|unix\|[^|]+\|grpc\n$/);
    p.kill('SIGTERM');
    assert.equal(await exited(p), 0);
  } finally {
    if (p.exitCode === null) p.kill('SIGKILL');
  }
});
