#!/usr/bin/env node
// stackit-simulator: run the STACKIT IaaS v2 simulator as a process (local runs, demos, the Go SDK).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseCli } from '../util/cli.ts';
import { parseFaultProfile, type SimulatorOptions, startSimulator } from './index.ts';
import { loadSeedFile } from './seed.ts';

const USAGE = `Usage: stackit-simulator [flags]

  --port <n>             listen port (default 8787, 0 = random)
  --host <addr>          listen address (default 127.0.0.1)
  --state <file>         persist state to this JSON file and reload it on start
  --seed <file>          seed data (YAML or JSON; missing keys keep the built-in defaults)
  --no-auth              accept API calls without a bearer token
  --boot-delay <ms>      CREATING -> ACTIVE delay (default 2000)
  --delete-delay <ms>    DELETING -> gone delay (default 1000)
  --token-ttl <s>        access-token lifetime (default 3600)
  --faults <json|file>   initial fault profile (see docs/simulator.md)
  --random-seed <n>      seed for fault decisions
  --write-key <file>     create a service-account key at start and write its JSON here (mode 0600)
  -h, --help             this text
`;

function fail(msg: string): never {
  process.stderr.write(`stackit-simulator: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

function intFlag(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}`);
  return n;
}

async function main(): Promise<void> {
  const values: Record<string, string | boolean | undefined> = parseCli({
    name: 'stackit-simulator',
    command: 'stackit-simulator',
    usage: USAGE,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      state: { type: 'string' },
      seed: { type: 'string' },
      'no-auth': { type: 'boolean' },
      'boot-delay': { type: 'string' },
      'delete-delay': { type: 'string' },
      'token-ttl': { type: 'string' },
      faults: { type: 'string' },
      'random-seed': { type: 'string' },
      'write-key': { type: 'string' },
    },
  }).values;
  const str = (k: string) => values[k] as string | undefined;
  const opts: SimulatorOptions = { port: intFlag('port', str('port')) ?? 8787 };
  if (str('host')) opts.host = str('host')!;
  if (str('state')) opts.stateFile = str('state')!;
  if (values['no-auth']) opts.noAuth = true;
  const boot = intFlag('boot-delay', str('boot-delay'));
  if (boot !== undefined) opts.bootDelayMs = boot;
  const del = intFlag('delete-delay', str('delete-delay'));
  if (del !== undefined) opts.deleteDelayMs = del;
  const ttl = intFlag('token-ttl', str('token-ttl'), 1);
  if (ttl !== undefined) opts.tokenTtlSeconds = ttl;
  const rs = intFlag('random-seed', str('random-seed'));
  if (rs !== undefined) opts.randomSeed = rs;
  try {
    if (str('seed')) opts.seed = loadSeedFile(str('seed')!);
    const f = str('faults');
    if (f !== undefined) {
      const text = f.trim().startsWith('{') || !existsSync(f) ? f : readFileSync(f, 'utf8');
      opts.faults = parseFaultProfile(JSON.parse(text));
    }
  } catch (e) {
    fail((e as Error).message);
  }

  const sim = await startSimulator(opts);
  const d = sim.defaults;
  const lines = [
    `STACKIT IaaS simulator listening on ${sim.url}`,
    `  IaaS API:        ${sim.url}/v2   (STACKIT_IAAS_ENDPOINT=${sim.url})`,
    `  token endpoint:  ${sim.tokenUrl}   (STACKIT_TOKEN_BASEURL=${sim.tokenUrl})`,
    `  admin API:       ${sim.url}/admin  (healthz, counters, faults, service-account-keys, servers, reset)`,
    `  default project: ${d.projectId}  region ${d.region}  network ${d.networkId}  image ${d.imageId}`,
    `  auth:            ${opts.noAuth ? 'disabled (--no-auth)' : 'service-account key flow'}`,
  ];
  const keyFile = str('write-key');
  if (keyFile) {
    const key = await sim.createServiceAccountKey({ name: 'simulator-cli' });
    writeFileSync(keyFile, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
    lines.push(`  service-account key written to ${keyFile}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`received ${signal}, stopping\n`);
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`stackit-simulator: ${(e as Error).message}\n`);
  process.exit(1);
});
