// A fake kubelet for every simulated STACKIT server: when a server turns ACTIVE it registers a Node
// named exactly like the server, then (after joinDelayMs) reports Ready through the status
// subresource. MCM re-checks Pending machines on Node condition UPDATES, not on Node creation,
// so registration and readiness are two separate writes, as with a real kubelet.
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { mergePatch } from './merge-patch.ts';

/** The subset of an IaaS Server the simulator needs. */
export interface SimulatedServer {
  id: string;
  name: string;
  status?: string;
  machineType?: string;
  availabilityZone?: string;
  labels?: Record<string, unknown>;
  nics?: { ipv4?: string }[];
}

export interface AdminServerItem {
  projectId?: string;
  region?: string;
  server: SimulatedServer;
}

export interface NodeFailureModes {
  /** Servers whose name matches never register a Node (bootstrap failed). */
  neverJoin?: RegExp;
  /** Servers whose name matches report Ready=False this long after having become Ready. */
  notReadyAfter?: { match: RegExp; afterMs: number };
}

export interface NodeSimulatorOptions {
  /** Base URL of the STACKIT simulator; its GET /admin/servers is polled. */
  simulatorUrl: string;
  targetKubeConfig: KubeConfig;
  /** Time between Node registration and Ready=True (default 1000 ms). */
  joinDelayMs?: number;
  pollIntervalMs?: number;
  failureModes?: NodeFailureModes;
  /** Only servers accepted here get Nodes (e.g. one project). */
  filter?: (item: AdminServerItem) => boolean;
  /** Delete the Node once its server is gone from the simulator (what a cloud-controller-manager does). Default false: MCM deletes Nodes itself. */
  deleteNodeWhenServerGone?: boolean;
}

export type NodeState = 'registered' | 'ready' | 'not-ready' | 'unknown' | 'deleted';

export interface NodeSimulator {
  /** State of the Node of the server with this name, if one was registered. */
  nodeState(serverName: string): NodeState | undefined;
  /** Recent errors (API or simulator), newest last; the loop keeps running through them. */
  readonly errors: readonly string[];
  /** Runs one reconciliation pass now (the loop keeps going too). */
  pollOnce(): Promise<void>;
  stop(): Promise<void>;
}

interface Tracked {
  nodeName: string;
  state: NodeState;
  joinAt: number;
  readyAt?: number;
}

const KUBELET_VERSION = 'v1.36.3';
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

export function startNodeSimulator(opts: NodeSimulatorOptions): NodeSimulator {
  const core = opts.targetKubeConfig.makeApiClient(CoreV1Api);
  const joinDelayMs = opts.joinDelayMs ?? 1_000;
  const pollIntervalMs = opts.pollIntervalMs ?? 500;
  const tracked = new Map<string, Tracked>(); // by server id
  const errors: string[] = [];
  const recordError = (what: string, err: unknown) => {
    errors.push(`${new Date().toISOString()} ${what}: ${describe(err)}`);
    if (errors.length > 50) errors.shift();
  };

  const setStatus = async (t: Tracked, server: SimulatedServer | undefined, ready: ReadyState) => {
    try {
      await core.patchNodeStatus(
        { name: t.nodeName, body: { status: nodeStatus(server, ready) } },
        mergePatch,
      );
      return true;
    } catch (err) {
      if (statusCode(err) === 404)
        t.state = 'deleted'; // MCM (or someone) deleted it: never recreate
      else recordError(`updating status of Node ${t.nodeName}`, err);
      return false;
    }
  };

  const reconcile = async (items: AdminServerItem[]) => {
    const now = Date.now();
    const present = new Set<string>();
    for (const item of items) {
      const server = item.server;
      present.add(server.id);
      let t = tracked.get(server.id);
      const active = server.status === 'ACTIVE';
      if (t === undefined) {
        if (!active || opts.failureModes?.neverJoin?.test(server.name)) continue;
        t = { nodeName: server.name, state: 'registered', joinAt: now + joinDelayMs };
        try {
          await core.createNode({ body: newNode(server, item.region) });
        } catch (err) {
          if (statusCode(err) !== 409) {
            recordError(`registering Node ${server.name}`, err);
            continue;
          }
        }
        tracked.set(server.id, t);
        await setStatus(t, server, 'not-ready-yet');
        continue;
      }
      if (t.state === 'deleted') continue;
      if (!active) {
        if (t.state !== 'unknown' && (await setStatus(t, server, 'unknown'))) t.state = 'unknown';
        continue;
      }
      if ((t.state === 'registered' && now >= t.joinAt) || t.state === 'unknown') {
        if (await setStatus(t, server, 'ready')) {
          t.state = 'ready';
          t.readyAt = now;
        }
        continue;
      }
      const flaky = opts.failureModes?.notReadyAfter;
      if (
        t.state === 'ready' &&
        flaky?.match.test(server.name) &&
        now >= (t.readyAt ?? now) + flaky.afterMs &&
        (await setStatus(t, server, 'not-ready'))
      ) {
        t.state = 'not-ready';
      }
    }
    for (const [id, t] of tracked) {
      if (present.has(id) || t.state === 'deleted') continue;
      // The server is gone: its kubelet stopped posting status.
      if (t.state !== 'unknown' && (await setStatus(t, undefined, 'unknown'))) t.state = 'unknown';
      // setStatus() may have found the Node gone already.
      if (opts.deleteNodeWhenServerGone && (t.state as NodeState) !== 'deleted') {
        try {
          await core.deleteNode({ name: t.nodeName });
          t.state = 'deleted';
        } catch (err) {
          if (statusCode(err) === 404) t.state = 'deleted';
          else recordError(`deleting Node ${t.nodeName}`, err);
        }
      }
    }
  };

  let running: Promise<void> | undefined;
  const pollOnce = (): Promise<void> => {
    // One pass at a time: a manual pollOnce() waits for an ongoing loop pass, then runs its own.
    const next = (running ?? Promise.resolve()).then(async () => {
      try {
        const items = await listServers(opts.simulatorUrl);
        await reconcile(opts.filter ? items.filter(opts.filter) : items);
      } catch (err) {
        recordError('polling the simulator', err);
      }
    });
    running = next;
    return next;
  };

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await pollOnce();
    if (!stopped) timer = setTimeout(loop, pollIntervalMs);
  };
  timer = setTimeout(loop, 0);

  return {
    nodeState: (serverName) => {
      for (const t of tracked.values()) if (t.nodeName === serverName) return t.state;
      return undefined;
    },
    errors,
    pollOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** GET /admin/servers; accepts items that are servers or `{projectId, region, server}`. */
async function listServers(simulatorUrl: string): Promise<AdminServerItem[]> {
  const res = await fetch(new URL('/admin/servers', simulatorUrl), {
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`GET /admin/servers answered ${res.status}`);
  const body = (await res.json()) as { items?: unknown[] };
  const items: AdminServerItem[] = [];
  for (const raw of body.items ?? []) {
    const item = raw as Record<string, unknown>;
    const server = (typeof item.server === 'object' && item.server !== null ? item.server : item) as
      | SimulatedServer
      | undefined;
    if (typeof server?.id !== 'string' || typeof server.name !== 'string') continue;
    items.push({
      server,
      ...(typeof item.projectId === 'string' ? { projectId: item.projectId } : {}),
      ...(typeof item.region === 'string' ? { region: item.region } : {}),
    });
  }
  return items;
}

function newNode(server: SimulatedServer, region: string | undefined): V1Node {
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': server.name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
  };
  const optional: [string, string | undefined][] = [
    ['node.kubernetes.io/instance-type', server.machineType],
    ['topology.kubernetes.io/zone', server.availabilityZone],
    ['topology.kubernetes.io/region', region],
  ];
  for (const [k, v] of optional) if (v !== undefined && LABEL_VALUE.test(v)) labels[k] = v;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: server.name, labels },
    spec: { providerID: `stackit://${server.id}` },
  };
}

type ReadyState = 'not-ready-yet' | 'ready' | 'not-ready' | 'unknown';

function nodeStatus(server: SimulatedServer | undefined, ready: ReadyState): Record<string, unknown> {
  const now = new Date().toISOString();
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  const readyCondition = {
    'not-ready-yet': condition('Ready', 'False', 'KubeletNotReady', 'container runtime is starting'),
    ready: condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    'not-ready': condition('Ready', 'False', 'KubeletNotReady', 'simulated failure: node went NotReady'),
    unknown: condition('Ready', 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.'),
  }[ready];
  const status: Record<string, unknown> = {
    conditions: [
      readyCondition,
      condition(
        'MemoryPressure',
        'False',
        'KubeletHasSufficientMemory',
        'kubelet has sufficient memory available',
      ),
      condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('NetworkUnavailable', 'False', 'RouteCreated', 'simulated network is up'),
    ],
    nodeInfo: {
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: 'amd64',
      containerRuntimeVersion: 'containerd://simulated',
      osImage: 'simulated',
      kernelVersion: 'simulated',
      machineID: '',
      systemUUID: '',
      bootID: '',
    },
  };
  if (server !== undefined) {
    const ip = server.nics?.find((n) => n.ipv4)?.ipv4;
    status.addresses = [
      ...(ip ? [{ type: 'InternalIP', address: ip }] : []),
      { type: 'Hostname', address: server.name },
    ];
  }
  return status;
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

function describe(err: unknown): string {
  const code = statusCode(err);
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  return code === undefined ? (message ?? '') : `HTTP ${code}: ${message}`;
}
