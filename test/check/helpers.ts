// The check CLI against a running simulator: write a MachineClass (+ Secret) file, run
// `node src/check/main.ts` as a subprocess (asynchronously, so the simulator in this process keeps
// answering), and look at its exit code and output.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import YAML from 'yaml';
import { type RunningSimulator, type SeedData, startSimulator } from '../../src/simulator/index.ts';

const repoRoot = join(import.meta.dirname, '../..');
const main = join(repoRoot, 'src/check/main.ts');

export interface CheckEnv {
  sim: RunningSimulator;
  keyJson: string;
  dir: string;
  close(): Promise<void>;
}

export async function startCheckEnv(seed?: SeedData): Promise<CheckEnv> {
  const sim = await startSimulator({
    logger: pino({ level: 'silent' }),
    randomSeed: 1,
    ...(seed ? { seed } : {}),
  });
  const keyJson = JSON.stringify(await sim.createServiceAccountKey());
  const dir = mkdtempSync(join(tmpdir(), 'check-class-'));
  return {
    sim,
    keyJson,
    dir,
    close: async () => {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A class using every ID the simulator's default project has. */
export function validSpec(env: CheckEnv): Record<string, unknown> {
  const d = env.sim.defaults;
  return {
    machineType: d.machineType,
    imageId: d.imageId,
    availabilityZone: d.availabilityZone,
    networking: { networkId: d.networkId },
    securityGroups: [d.securityGroupName, d.securityGroupId],
    keypairName: d.keypairName,
    affinityGroup: d.affinityGroupId,
  };
}

/** The default project's volumes: one bootable, one data volume (both AVAILABLE, both in a zone). */
export function seededVolumes(env: CheckEnv): { boot: SeededVolume; data: SeededVolume } {
  const vols = env.sim.seed.projects[0]!.volumes;
  const boot = vols.find((v) => v.bootable && v.status === 'AVAILABLE');
  const data = vols.find((v) => !v.bootable && v.status === 'AVAILABLE');
  if (!boot || !data) throw new Error('the default seed lost its volumes');
  return {
    boot: { id: boot.id, name: boot.name ?? '', zone: boot.availabilityZone },
    data: { id: data.id, name: data.name ?? '', zone: data.availabilityZone },
  };
}

export interface SeededVolume {
  id: string;
  name: string;
  zone: string;
}

export function secretData(
  env: CheckEnv,
  extra: Record<string, string | undefined> = {},
): Record<string, string> {
  const d = env.sim.defaults;
  const data: Record<string, string | undefined> = {
    projectId: d.projectId,
    serviceAccountKey: env.keyJson,
    region: d.region,
    userData: '#cloud-config\n',
    ...extra,
  };
  return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => e[1] !== undefined));
}

let n = 0;

/** Writes a MachineClass and its Secret as one multi-document YAML file; returns its path. */
export function writeClass(
  env: CheckEnv,
  spec: Record<string, unknown>,
  secret: Record<string, string> | null = secretData(env),
): string {
  const file = join(env.dir, `class-${++n}.yaml`);
  const mc = {
    apiVersion: 'machine.sapcloud.io/v1alpha1',
    kind: 'MachineClass',
    metadata: { name: 'workers', namespace: 'shoot--p--s' },
    provider: 'stackit',
    secretRef: { name: 'workers', namespace: 'shoot--p--s' },
    providerSpec: spec,
  };
  const docs = [mc];
  if (secret)
    docs.push({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'workers', namespace: 'shoot--p--s' },
      // data, base64-encoded, as kubectl get -o yaml shows a Secret
      data: Object.fromEntries(
        Object.entries(secret).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
    } as never);
  writeFileSync(file, docs.map((d) => YAML.stringify(d)).join('---\n'));
  return file;
}

export function writeFile(env: CheckEnv, name: string, text: string): string {
  const file = join(env.dir, name);
  writeFileSync(file, text);
  return file;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node src/check/main.ts ...args` with STACKIT_IAAS_ENDPOINT pointing at the simulator. */
export function runCheck(
  env: CheckEnv | undefined,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  delete childEnv.STACKIT_API_ENDPOINT;
  delete childEnv.STACKIT_TOKEN_BASEURL;
  delete childEnv.STACKIT_NO_AUTH;
  if (env && !extraEnv.STACKIT_IAAS_ENDPOINT) childEnv.STACKIT_IAAS_ENDPOINT = env.sim.url;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [main, ...args],
      { env: childEnv, cwd: repoRoot, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
