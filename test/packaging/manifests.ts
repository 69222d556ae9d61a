// Reading the shipped manifests and samples, and applying them to a real kube-apiserver the way
// `kubectl apply --server-side` does: raw JSON (no client-side model that would drop unknown
// fields), strict field validation, one field manager.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { repoRoot } from '../../stack/binaries.ts';

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are open-ended JSON
export type KubeObject = Record<string, any>;

export interface ManifestDoc {
  file: string;
  doc: KubeObject;
}

/** Every YAML document of one file (empty documents skipped). */
export function loadDocs(file: string): KubeObject[] {
  const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'));
  for (const d of docs) if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.join('; ')}`);
  return docs.map((d) => d.toJS() as KubeObject).filter((d) => d != null);
}

/** `dir/*.yaml` without the kustomization, sorted. */
export function yamlFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir))
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()
    .map((f) => join(repoRoot, dir, f));
}

export const controlDir = 'kubernetes/control';
export const targetDir = 'kubernetes/target';

export function manifestDocs(dir: string): ManifestDoc[] {
  return yamlFiles(dir).flatMap((file) => loadDocs(file).map((doc) => ({ file, doc })));
}

/** The Deployment of kubernetes/control and its two containers. */
export function controlDeployment(): {
  deployment: KubeObject;
  mcm: KubeObject;
  provider: KubeObject;
} {
  const deployment = loadDocs(join(repoRoot, controlDir, 'deployment.yaml'))[0] as KubeObject;
  const containers = deployment.spec.template.spec.containers as KubeObject[];
  const mcm = containers.find((c) => c.name === 'machine-controller-manager');
  const provider = containers.find((c) => c.name === 'machine-controller-manager-provider-stackit');
  if (!mcm || !provider) throw new Error('deployment.yaml lacks one of its two containers');
  return { deployment, mcm, provider };
}

/**
 * A container's args with the pod-only parts replaced for a local run: $(NAMESPACE), the in-cluster
 * control kubeconfig and the mounted target kubeconfig become files, the port a free one.
 */
export function localArgs(
  args: string[],
  r: { namespace: string; controlKubeconfig: string; targetKubeconfig: string; port?: number },
): string[] {
  return args
    .map((a) => a.replaceAll('$(NAMESPACE)', r.namespace))
    .map((a) => (a.startsWith('--control-kubeconfig=') ? `--control-kubeconfig=${r.controlKubeconfig}` : a))
    .map((a) => (a.startsWith('--target-kubeconfig=') ? `--target-kubeconfig=${r.targetKubeconfig}` : a))
    .flatMap((a) => {
      if (!a.startsWith('--port=')) return [a];
      return r.port === undefined ? [] : [`--port=${r.port}`, '--address=127.0.0.1'];
    });
}

interface ResourceInfo {
  name: string;
  namespaced: boolean;
}

/** One HTTPS request with the kubeconfig's credentials; JSON in, JSON out. */
export async function kubeRequest(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: KubeObject }> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const opts: import('node:https').RequestOptions = { method, headers: {} };
  await kc.applyToHTTPSOptions(opts);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}`,
      {
        ...opts,
        headers: {
          ...opts.headers,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
        timeout: 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => {
          let json: KubeObject = {};
          try {
            json = text ? (JSON.parse(text) as KubeObject) : {};
          } catch {
            json = { message: text };
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

const discovery = new WeakMap<KubeConfig, Map<string, ResourceInfo[]>>();

async function resourceFor(kc: KubeConfig, apiVersion: string, kind: string): Promise<ResourceInfo> {
  let cache = discovery.get(kc);
  if (!cache) {
    cache = new Map();
    discovery.set(kc, cache);
  }
  let list = cache.get(apiVersion);
  if (!list) {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const res = await kubeRequest(kc, 'GET', path);
    if (res.status !== 200) throw new Error(`discovery ${path}: HTTP ${res.status}`);
    list = (res.json.resources as KubeObject[])
      .filter((r) => !String(r.name).includes('/') && r.kind)
      .map((r) => ({ name: r.name as string, namespaced: r.namespaced as boolean, kind: r.kind as string }));
    cache.set(apiVersion, list);
  }
  const hit = (list as (ResourceInfo & { kind?: string })[]).find((r) => r.kind === kind);
  if (!hit) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
  return hit;
}

/**
 * Server-side apply with strict field validation. `namespace` is used for namespaced objects that
 * name none (what `kubectl apply -n` and kustomize's `namespace:` do). Throws the API's message
 * when the object is rejected; returns the applied object.
 */
export async function serverSideApply(
  kc: KubeConfig,
  obj: KubeObject,
  namespace?: string,
): Promise<KubeObject> {
  const info = await resourceFor(kc, obj.apiVersion, obj.kind);
  const doc = structuredClone(obj);
  if (info.namespaced) {
    doc.metadata.namespace ??= namespace;
    if (!doc.metadata.namespace) throw new Error(`${obj.kind}/${obj.metadata?.name}: no namespace`);
  }
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  const ns = info.namespaced ? `/namespaces/${encodeURIComponent(doc.metadata.namespace)}` : '';
  const path =
    `${base}${ns}/${info.name}/${encodeURIComponent(doc.metadata.name)}` +
    '?fieldManager=mcm-provider-stackit-tests&force=true&fieldValidation=Strict';
  const res = await kubeRequest(kc, 'PATCH', path, doc, 'application/apply-patch+yaml');
  if (res.status < 200 || res.status > 299) {
    throw new Error(
      `${obj.kind}/${obj.metadata?.name} rejected: HTTP ${res.status} ${res.json.message ?? ''}`,
    );
  }
  return res.json;
}

/** A kubeconfig that authenticates with a bearer token (e.g. a ServiceAccount's). */
export function writeTokenKubeconfig(path: string, server: string, caPem: string, token: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'cluster',
        cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') },
      },
    ],
    users: [{ name: 'sa', user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: 'cluster', user: 'sa' } }],
    'current-context': 'sa',
  };
  writeFileSync(path, YAML.stringify(config), { mode: 0o600 });
  return path;
}

/** A token for a ServiceAccount from the TokenRequest API (as the kubelet would mount it). */
export async function serviceAccountToken(kc: KubeConfig, namespace: string, name: string): Promise<string> {
  const res = await kubeRequest(
    kc,
    'POST',
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(name)}/token`,
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  );
  if (res.status !== 201 || !res.json.status?.token) {
    throw new Error(`TokenRequest for ${namespace}/${name}: HTTP ${res.status} ${res.json.message ?? ''}`);
  }
  return res.json.status.token as string;
}

/** Whether `user` may do `verb` on a resource, asked with a SubjectAccessReview (as an admin). */
export async function allowed(
  adminKc: KubeConfig,
  user: string,
  attrs: { verb: string; resource: string; group?: string; namespace?: string; subresource?: string },
): Promise<boolean> {
  const res = await kubeRequest(adminKc, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user,
      groups: [
        'system:serviceaccounts',
        `system:serviceaccounts:${user.split(':')[2]}`,
        'system:authenticated',
      ],
      resourceAttributes: { group: '', ...attrs },
    },
  });
  if (res.status !== 201)
    throw new Error(`SubjectAccessReview: HTTP ${res.status} ${res.json.message ?? ''}`);
  return res.json.status?.allowed === true;
}
