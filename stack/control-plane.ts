// A real, throw-away Kubernetes control plane for integration tests: etcd + kube-apiserver built
// from source (hack/kube-binaries.sh), client-cert auth, RBAC, and the MCM CRDs installed.
// No kube-controller-manager, scheduler or kubelet run (see docs/local-control-plane.md).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  KubeConfig,
  loadYaml,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import YAML from 'yaml';
import { repoRoot, resolveBinDir } from './binaries.ts';
import { type Certificate, createCertificateAuthority, issueCertificate } from './pki.ts';
import { freePort, type ManagedProcess, removeOnExit, startProcess, waitFor } from './processes.ts';

export interface ControlPlaneOptions {
  /** Directory with kube-apiserver and etcd; default: $MCM_STACKIT_BIN_DIR or hack/kube-binaries.sh. */
  binDir?: string;
  /** Where etcd.log and kube-apiserver.log go; default: $MCM_STACKIT_TEST_LOG_DIR/<name>-<random>, else inside the temp dir (removed by stop()). */
  logDir?: string;
  /** Label for directories and error messages, e.g. "control" or "target". */
  name?: string;
  /** Install the four machine.sapcloud.io CRDs from api/mcm-crds (default true). */
  installMcmCrds?: boolean;
  /** Budget for etcd + kube-apiserver to become ready (default 120 s). */
  startTimeoutMs?: number;
}

export interface ControlPlane {
  readonly name: string;
  /** Admin kubeconfig (user in group system:masters). */
  readonly kubeconfigPath: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  readonly kubeConfig: KubeConfig;
  /** Temp dir holding etcd data, certs and kubeconfigs; removed by stop(). */
  readonly dir: string;
  readonly logDir: string;
  readonly etcd: ManagedProcess;
  readonly apiserver: ManagedProcess;
  readonly pids: readonly number[];
  /** PEM of the CA that signed the serving cert and all client certs. */
  readonly caPem: string;
  readonly binDir: string;
  /** Writes a kubeconfig for a client-cert user (for RBAC tests); returns its path. */
  writeKubeconfig(user: string, groups?: string[]): Promise<string>;
  /** Stops kube-apiserver and etcd (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const MCM_CRD_DIR = join(repoRoot, 'api/mcm-crds');

export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  // Free ports are picked, released, then bound by the child: another process can grab one in
  // between. That is rare and worth one more try, not a failed test.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startControlPlaneOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(String((err as Error).message))) throw err;
    }
  }
}

async function startControlPlaneOnce(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const name = opts.name ?? 'cp';
  const binDir = opts.binDir ?? (await resolveBinDir());
  const timeoutMs = opts.startTimeoutMs ?? 120_000;
  const dir = mkdtempSync(join(tmpdir(), `mcm-stackit-${name}-`));
  const removeDir = removeOnExit(dir);
  const logDir =
    opts.logDir ??
    (process.env.MCM_STACKIT_TEST_LOG_DIR
      ? mkdtempSync(join(mkdirp(process.env.MCM_STACKIT_TEST_LOG_DIR), `${name}-`))
      : mkdirp(join(dir, 'logs')));

  const started: ManagedProcess[] = [];
  const stopProcesses = async () => {
    // apiserver first: it would otherwise log etcd connection errors while shutting down
    for (const p of started.toReversed()) await p.stop(10_000);
  };

  try {
    const [etcdPort, etcdPeerPort, apiPort] = await distinctFreePorts(3);
    const server = `https://127.0.0.1:${apiPort}`;

    const pki = mkdirp(join(dir, 'pki'));
    const ca = await createCertificateAuthority(`${name}-ca`);
    const serving = await issueCertificate(ca, {
      commonName: 'kube-apiserver',
      usage: 'server',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const files = {
      ca: write(join(pki, 'ca.crt'), ca.certPem),
      servingCert: write(join(pki, 'apiserver.crt'), serving.certPem),
      servingKey: write(join(pki, 'apiserver.key'), serving.keyPem),
    };
    const saKey = await createCertificateAuthority('service-accounts');
    const saKeyFile = write(join(pki, 'sa.key'), saKey.keyPem);
    const saPubFile = write(
      join(pki, 'sa.pub'),
      saKey.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    );

    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = startProcess({
      name: 'etcd',
      command: join(binDir, 'etcd'),
      args: [
        `--name=${name}`,
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=${name}=${peerUrl}`,
        '--unsafe-no-fsync=true',
        '--log-level=warn',
      ],
      logDir,
    });
    started.push(etcd);
    await waitFor(
      async () => {
        const res = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2_000) });
        return res.ok && ((await res.json()) as { health?: string }).health === 'true';
      },
      { timeoutMs, what: `etcd (${name}) /health`, process: etcd },
    );

    const apiserver = startProcess({
      name: 'kube-apiserver',
      command: join(binDir, 'kube-apiserver'),
      args: [
        `--etcd-servers=${etcdUrl}`,
        `--cert-dir=${pki}`,
        `--tls-cert-file=${files.servingCert}`,
        `--tls-private-key-file=${files.servingKey}`,
        `--client-ca-file=${files.ca}`,
        `--secure-port=${apiPort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        '--disable-admission-plugins=ServiceAccount',
        '--authorization-mode=RBAC',
        `--service-account-issuer=${server}/`,
        `--service-account-key-file=${saPubFile}`,
        `--service-account-signing-key-file=${saKeyFile}`,
      ],
      logDir,
    });
    started.push(apiserver);

    const admin = await issueCertificate(ca, {
      commonName: 'admin',
      organizations: ['system:masters'],
      usage: 'client',
    });
    const kubeconfigPath = writeKubeconfigFile(join(dir, 'admin.kubeconfig'), name, server, ca, admin);
    await waitFor(() => readyz(server, ca, admin), {
      timeoutMs,
      intervalMs: 500,
      what: `kube-apiserver (${name}) /readyz`,
      process: apiserver,
    });

    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    if (opts.installMcmCrds ?? true) await installMcmCrds(kubeConfig, timeoutMs);

    let stopped: Promise<void> | undefined;
    return {
      name,
      kubeconfigPath,
      server,
      kubeConfig,
      dir,
      logDir,
      etcd,
      apiserver,
      pids: [etcd.pid, apiserver.pid],
      caPem: ca.certPem,
      binDir,
      async writeKubeconfig(user, groups = []) {
        const cert = await issueCertificate(ca, { commonName: user, organizations: groups, usage: 'client' });
        const file = join(dir, `${user.replace(/[^A-Za-z0-9_.-]/g, '_')}.kubeconfig`);
        return writeKubeconfigFile(file, name, server, ca, cert);
      },
      stop() {
        stopped ??= stopProcesses().finally(removeDir);
        return stopped;
      },
    };
  } catch (err) {
    await stopProcesses();
    if (opts.logDir === undefined && !process.env.MCM_STACKIT_TEST_LOG_DIR) {
      // The logs are about to be deleted with the temp dir: keep the essentials in the error.
      const message = (err as Error).message;
      const tails = started
        .filter((p) => !message.includes(`${p.name} output:`) && !message.includes(`${p.name} exited`))
        .map((p) => `\n--- ${p.name} (${p.logPath}) ---\n${p.tail(30)}`)
        .join('');
      removeDir();
      throw new Error(`control plane ${name} failed to start: ${message}${tails}`, {
        cause: err,
      });
    }
    removeDir();
    throw err;
  }
}

/** The four MCM CRDs as plain objects, as written in `dir` (default api/mcm-crds). */
export function readMcmCrds(dir = MCM_CRD_DIR): Record<string, unknown>[] {
  return mcmCrdFiles(dir).map((f) => YAML.parse(readFileSync(f, 'utf8')) as Record<string, unknown>);
}

function mcmCrdFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('machine.sapcloud.io_') && f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));
}

export async function installMcmCrds(kubeConfig: KubeConfig, timeoutMs = 60_000): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  // loadYaml maps raw keys such as x-kubernetes-int-or-string onto the client's model; a plain
  // object would lose them in the client's serializer and the API server would reject the CRD.
  const crds = mcmCrdFiles(MCM_CRD_DIR).map((f) =>
    loadYaml<V1CustomResourceDefinition>(readFileSync(f, 'utf8')),
  );
  for (const body of crds) await api.createCustomResourceDefinition({ body });
  for (const crd of crds) {
    const crdName = crd.metadata?.name ?? '';
    await waitFor(
      async () => {
        const got = await api.readCustomResourceDefinition({ name: crdName });
        return (got.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
      },
      { timeoutMs, what: `CRD ${crdName} Established` },
    );
  }
}

function writeKubeconfigFile(
  path: string,
  clusterName: string,
  server: string,
  ca: Certificate,
  client: Certificate,
): string {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server, 'certificate-authority-data': b64(ca.certPem) } }],
    users: [
      {
        name: 'user',
        user: {
          'client-certificate-data': b64(client.certPem),
          'client-key-data': b64(client.keyPem),
        },
      },
    ],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: 'user' } }],
    'current-context': clusterName,
  };
  writeFileSync(path, YAML.stringify(config), { mode: 0o600 });
  return path;
}

function readyz(server: string, ca: Certificate, client: Certificate): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server}/readyz`,
      { ca: ca.certPem, cert: client.certPem, key: client.keyPem, timeout: 5_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy(new Error('readyz request timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function mkdirp(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}

function write(path: string, content: string): string {
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}
