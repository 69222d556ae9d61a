// Shared pieces of the resilience suite: the seed and the heavy switch, a watcher that remembers
// every server it ever saw (duplicates are caught even after they are deleted again), convergence
// with the invariants, and the secret scan.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import type { McmObject } from '../../stack/mcm-objects.ts';
import { freePort, type ManagedProcess, startProcess, waitFor } from '../../stack/processes.ts';
import { MACHINE_CONTROLLER_BIN, PLUGIN_COMMAND, type Stack } from '../../stack/stack.ts';
import { machines, phaseOf } from '../e2e/helpers.ts';

/** RESILIENCE_HEAVY=1 runs the long variants (20+ kill points, leader election, 10 s latency). */
export const HEAVY = process.env.RESILIENCE_HEAVY === '1';
export const HEAVY_SKIP = HEAVY ? false : 'heavy variant: set RESILIENCE_HEAVY=1 to run it';

/** Replicas with their own hostname need a user + UTS namespace (util-linux `unshare`). */
const OWN_UTS_NAMESPACE = ['--user', '--map-root-user', '--uts'];
export const HOSTNAME_NAMESPACE_SKIP = (() => {
  const probe = spawnSync('unshare', [...OWN_UTS_NAMESPACE, 'true'], { stdio: 'ignore' });
  return probe.status === 0
    ? false
    : 'needs `unshare --user --uts` (user namespaces) to give each replica its own hostname';
})();

/** RESILIENCE_SEED=<n> repeats a run's random choices; otherwise a fresh seed, printed. */
export function suiteSeed(): number {
  const env = process.env.RESILIENCE_SEED;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n)) throw new Error(`RESILIENCE_SEED must be an integer, got ${env}`);
    return n;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/** mulberry32: small, seedable, good enough to pick kill points. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
  };
}

const machineOf = (s: { metadata?: Record<string, unknown>; labels?: Record<string, unknown> }) =>
  String(s.metadata?.['kubernetes.io-machine'] ?? s.labels?.['kubernetes.io/machine'] ?? '?');

/**
 * Polls the simulator's servers and remembers, per Machine name, every server id ever seen. A
 * server lives at least the boot delay, far longer than the poll interval, so none is missed.
 */
export function watchServers(stack: Stack, intervalMs = 150) {
  const seen = new Map<string, Set<string>>();
  const poll = () => {
    for (const s of stack.sim.servers()) {
      // Per cluster: two clusters may have Machines of the same name.
      const m = `${s.labels?.['machine.sapcloud.io/namespace'] ?? '?'}/${machineOf(s)}`;
      const ids = seen.get(m) ?? new Set<string>();
      ids.add(s.id);
      seen.set(m, ids);
    }
  };
  poll();
  const timer = setInterval(poll, intervalMs);
  return {
    poll,
    /** Machines that ever had more than one server: duplicates. */
    duplicates(): string[] {
      poll();
      return [...seen].filter(([, ids]) => ids.size > 1).map(([m, ids]) => `${m}: ${[...ids].join(', ')}`);
    },
    serverCount: () => [...seen.values()].reduce((n, ids) => n + ids.size, 0),
    machineCount: () => seen.size,
    stop: () => clearInterval(timer),
  };
}

export type ServerWatcher = ReturnType<typeof watchServers>;

function describeState(ms: McmObject[], stack: Stack): string {
  const mm = ms.map((m) => `${m.metadata.name}=${phaseOf(m)}`).join(', ') || 'none';
  const ss = stack.sim
    .servers()
    .map((s) => `${s.name}=${s.status}`)
    .join(', ');
  return `machines: ${mm}; servers: ${ss || 'none'}`;
}

const NAMESPACE_LABEL = 'machine.sapcloud.io/namespace';

/** Servers of this stack's cluster (namespace label), other clusters sharing the project excluded. */
export function clusterServers(stack: Stack) {
  return stack.sim.servers().filter((s) => s.labels?.[NAMESPACE_LABEL] === stack.namespace);
}

/** Invariant problems: each Machine has exactly one live server of this cluster, no server lacks a Machine. */
export function mismatches(stack: Stack, ms: McmObject[]): string[] {
  const live = clusterServers(stack).filter((s) => s.status !== 'DELETING');
  const byMachine = new Map<string, string[]>();
  for (const s of live) byMachine.set(machineOf(s), [...(byMachine.get(machineOf(s)) ?? []), s.id]);
  const problems: string[] = [];
  for (const m of ms) {
    const ids = byMachine.get(m.metadata.name) ?? [];
    if (ids.length !== 1) problems.push(`machine ${m.metadata.name} has ${ids.length} live servers`);
    else if (!String(m.spec?.providerID ?? '').endsWith(ids[0] ?? '-'))
      problems.push(`machine ${m.metadata.name} points at ${m.spec?.providerID}, its server is ${ids[0]}`);
    byMachine.delete(m.metadata.name);
  }
  for (const [name, ids] of byMachine)
    problems.push(`server(s) ${ids.join(', ')} for ${name}, which has no Machine (leak)`);
  return problems;
}

/**
 * Waits until the namespace has exactly `count` Machines, all Running, each pointing at its one
 * ACTIVE server, and no other server of this cluster (count 0: none at all, not even DELETING).
 */
export async function converge(stack: Stack, count: number, timeoutMs = 240_000): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const ms = await machines(stack);
      last = describeState(ms, stack);
      if (ms.length !== count) return false;
      const servers = clusterServers(stack);
      if (count === 0) return servers.length === 0;
      if (!ms.every((m) => phaseOf(m) === 'Running')) return false;
      if (servers.length !== count || !servers.every((s) => s.status === 'ACTIVE')) return false;
      return mismatches(stack, ms).length === 0;
    },
    { timeoutMs, intervalMs: 500, what: `${count} Running machines with one server each` },
  ).catch((e: Error) => {
    throw new Error(`${e.message}\nlast state: ${last}`);
  });
  assert.deepEqual(mismatches(stack, await machines(stack)), [], 'servers == Machines');
}

// --- secrets ------------------------------------------------------------------------------------

/** Fragments of a secret worth searching for: 24-character slices that span the whole value. */
export function fragments(secret: string, width = 24): string[] {
  const s = secret.trim();
  if (s.length <= width) return [s];
  const out: string[] = [];
  for (let i = 0; i + width <= s.length; i += width) out.push(s.slice(i, i + width));
  return out;
}

/** The private key's base64 body (without PEM armour), in the forms it could leak: raw and JSON-escaped. */
export function privateKeyFragments(pem: string): string[] {
  const body = pem
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');
  // Each PEM line on its own too: a log could hold the PEM with its newlines.
  const lines = pem.split('\n').filter((l) => l.length >= 24 && !l.startsWith('-----'));
  return [...fragments(body), ...lines];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = statSync(p);
    if (st.isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

export interface ScanInput {
  stack: Stack;
  /** name -> secret value; fragments of each are searched. */
  secrets: Record<string, string[]>;
  /** name -> a pattern no text may match (e.g. any JWT). */
  patterns?: Record<string, RegExp>;
  /** Extra text captured by the test (e.g. /metrics of other processes). */
  extra?: Record<string, string>;
}

/** A JWT: access tokens and key-flow assertions. */
export const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

/** Every place an operator or attacker reads: process logs, Events, Machine objects, /metrics. */
export async function scanForSecrets({ stack, secrets, patterns = {}, extra = {} }: ScanInput): Promise<{
  sources: Record<string, number>;
  hits: string[];
}> {
  const texts: Record<string, string> = { ...extra };
  for (const f of filesUnder(stack.logDir)) texts[`log ${f}`] = readFileSync(f, 'utf8');
  const core = stack.cp.kubeConfig.makeApiClient(CoreV1Api);
  const events = await core.listNamespacedEvent({ namespace: stack.namespace });
  texts.events = JSON.stringify(events.items);
  texts.machines = JSON.stringify(await stack.objects.list('machines'));
  texts.machinesets = JSON.stringify(await stack.objects.list('machinesets'));
  texts.machinedeployments = JSON.stringify(await stack.objects.list('machinedeployments'));
  // The stack's own controller may have been stopped by the scenario (leader election): then its
  // log is what is left to scan.
  const metrics = await fetch(`http://127.0.0.1:${stack.machineControllerPort}/metrics`).catch(
    () => undefined,
  );
  if (metrics) texts['machine-controller /metrics'] = await metrics.text();
  if (stack.mcm) {
    const r = await fetch(`http://127.0.0.1:${stack.mcm.port}/metrics`).catch(() => undefined);
    if (r) texts['machine-controller-manager /metrics'] = await r.text();
  }
  const hits: string[] = [];
  for (const [where, text] of Object.entries(texts)) {
    for (const [name, frags] of Object.entries(secrets)) {
      for (const frag of frags) {
        if (frag.length >= 8 && text.includes(frag)) {
          hits.push(`${name} fragment "${frag.slice(0, 6)}…" in ${where}`);
          break;
        }
      }
    }
    for (const [name, re] of Object.entries(patterns)) if (re.test(text)) hits.push(`${name} in ${where}`);
  }
  return {
    sources: Object.fromEntries(Object.entries(texts).map(([k, v]) => [k, v.length])),
    hits,
  };
}

/**
 * The scan every scenario file ends with: the stack's real service-account key, its user data (or
 * the marker the test put in), and any JWT must appear nowhere an operator or attacker reads.
 */
export async function assertNoSecretLeaks(stack: Stack, opts: { userData?: string } = {}): Promise<void> {
  const pem: string = stack.key.credentials.privateKey ?? '';
  assert.ok(pem.includes('PRIVATE KEY'), 'the stack used a real service-account key');
  const secrets: Record<string, string[]> = { 'private key': privateKeyFragments(pem) };
  if (opts.userData) {
    secrets['user data'] = [
      ...fragments(opts.userData.split('\n')[1] ?? ''),
      Buffer.from(opts.userData).toString('base64').slice(0, 40),
    ];
  }
  const { sources, hits } = await scanForSecrets({
    stack,
    secrets,
    patterns: { 'an access token or assertion (JWT)': JWT },
  });
  assert.ok(
    Object.keys(sources).some((k) => k.endsWith('machine-controller.log')),
    'the machine-controller log was scanned',
  );
  assert.deepEqual(hits, []);
}

// --- extra processes ----------------------------------------------------------------------------

/**
 * Another machine-controller on the stack's control plane and simulator (own namespace or replica).
 * `hostname` runs it in its own UTS namespace with that hostname: MCM's leader-election identity is
 * the bare hostname (app.go), so two replicas on one host would both hold the lease. Pods have
 * distinct hostnames; here an unprivileged user namespace gives each replica one.
 */
export async function startExtraMachineController(
  stack: Stack,
  opts: { name: string; namespace: string; args?: string[]; hostname?: string },
): Promise<{ process: ManagedProcess; port: number }> {
  const port = await freePort();
  const wrap = (cmd: string, args: string[]) =>
    opts.hostname
      ? {
          command: 'unshare',
          args: [
            ...OWN_UTS_NAMESPACE,
            'sh',
            '-c',
            'echo "$0" > /proc/sys/kernel/hostname && exec "$@"',
            opts.hostname,
            cmd,
            ...args,
          ],
        }
      : { command: cmd, args };
  const proc = startProcess({
    name: opts.name,
    ...wrap(MACHINE_CONTROLLER_BIN, [
      `--control-kubeconfig=${stack.cp.kubeconfigPath}`,
      `--target-kubeconfig=${stack.cp.kubeconfigPath}`,
      `--namespace=${opts.namespace}`,
      '--address=127.0.0.1',
      `--port=${port}`,
      '--leader-elect=false',
      '--v=2',
      ...(opts.args ?? []),
    ]),
    env: {
      ...process.env,
      MC_DRIVER: 'stackit',
      MC_DRIVER_PLUGIN_CMD: PLUGIN_COMMAND,
      STACKIT_IAAS_ENDPOINT: stack.sim.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    logDir: stack.logDir,
  });
  return { process: proc, port };
}

/**
 * Stops the control plane's kube-apiserver, waits `downMs` (calling `whileDown`), and starts it
 * again with the same command line on the same port (etcd keeps the data). Returns the new process;
 * the caller stops it (ControlPlane.stop() only knows the first one).
 */
export async function restartApiserver(
  stack: Stack,
  whileDown: () => Promise<void>,
): Promise<ManagedProcess> {
  const old = stack.cp.apiserver;
  const argv = readFileSync(`/proc/${old.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const [command, ...args] = argv;
  await old.stop(10_000);
  await whileDown();
  const proc = startProcess({
    name: 'kube-apiserver-restarted',
    command: command!,
    args,
    logDir: stack.logDir,
  });
  const core = stack.cp.kubeConfig.makeApiClient(CoreV1Api);
  await waitFor(async () => (await core.listNamespace()).items.length > 0, {
    timeoutMs: 120_000,
    intervalMs: 500,
    what: 'restarted kube-apiserver to answer',
    process: proc,
  });
  return proc;
}
