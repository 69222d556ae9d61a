// The typed STACKIT IaaS v2 client: one small method per operation the product needs, over
// openapi-fetch with the generated `paths`. Every call goes through #call, the one place that adds
// the bearer token, bounds the attempt by the caller's signal and deadline, validates the body,
// classifies failures into IaasApiError, retries what is safe to retry and reports each attempt.

import createClient from 'openapi-fetch';
import { uuidPattern as uuid } from '../util/uuid.ts';
import { KeyFlowTokenSource } from './auth/key-flow.ts';
import { parseServiceAccountKey, type ServiceAccountKey } from './auth/service-account-key.ts';
import {
  isStackitHost,
  noAuthTokenSource,
  StaticTokenSource,
  TokenRequestError,
  type TokenSource,
} from './auth/token-source.ts';
import { normalizeEndpoint } from './endpoints.ts';
import { type HttpMethod, IaasApiError, IaasConfigError, type IaasErrorKind } from './errors.ts';
import { emitRequestEvent, type RequestHook } from './events.ts';
import type { components, paths } from './generated/iaas-v2.ts';
import { httpFetch } from './http-fetch.ts';
import {
  type CallOptions,
  defaultRetryPolicy,
  parseRetryAfter,
  type RetryPolicy,
  withRetries,
} from './retry.ts';
import type {
  AffinityGroup,
  CreateServerPayload,
  Image,
  Keypair,
  MachineType,
  Network,
  Nic,
  SecurityGroup,
  Server,
  UpdateNicPayload,
  UpdateServerPayload,
  Volume,
} from './types.ts';
import {
  BodyProblem,
  checkAffinityGroup,
  checkAvailabilityZone,
  checkImage,
  checkKeypair,
  checkMachineType,
  checkNetwork,
  checkNic,
  checkSecurityGroup,
  checkServer,
  checkVolume,
  parseErrorBody,
} from './validate.ts';

type Schemas = components['schemas'];

export type IaasAuth =
  | {
      type: 'service-account-key';
      /** A parsed key, or the key JSON as text or object (parsed with parseServiceAccountKey). */
      key: ServiceAccountKey | string | object;
      /** PEM private key when the key JSON has no credentials.privateKey. */
      privateKey?: string | undefined;
      /** Explicit token URL (option or STACKIT_TOKEN_BASEURL, see resolveIaasConfig). */
      tokenUrl?: string | undefined;
      /** Refresh this many seconds before the access token expires (default 30, capped at half its lifetime). */
      refreshLeewaySeconds?: number | undefined;
    }
  | { type: 'token'; token: string }
  /** Only for endpoints outside stackit.cloud (the simulator). */
  | { type: 'none' };

export interface IaasClientConfig {
  /** Base URL, e.g. https://iaas.api.stackit.cloud (no /v2). */
  endpoint: string;
  projectId: string;
  region: string;
  auth: IaasAuth;
  retry?: Partial<RetryPolicy> | undefined;
  /** Called once per HTTP attempt (token requests included). */
  onRequest?: RequestHook | undefined;
  userAgent?: string | undefined;
}

export interface ServerQuery extends CallOptions {
  /** Include nics, serviceAccountMails and userData. */
  details?: boolean | undefined;
}

export interface ListServersQuery extends ServerQuery {
  /** `k=v,k2=v2` or a bare key; the API's syntax is undocumented, so filter the result again. */
  labelSelector?: string | undefined;
}

export interface LabelQuery extends CallOptions {
  labelSelector?: string | undefined;
}

export interface IaasClient {
  readonly endpoint: string;
  readonly projectId: string;
  readonly region: string;

  /** POST, never retried by the client: on a retryable error look the server up by label first. */
  createServer(payload: CreateServerPayload, opts?: CallOptions): Promise<Server>;
  getServer(serverId: string, opts?: ServerQuery): Promise<Server>;
  listServers(opts?: ListServersQuery): Promise<Server[]>;
  updateServer(serverId: string, payload: UpdateServerPayload, opts?: CallOptions): Promise<Server>;
  /** A 404 surfaces as IaasApiError (notFound); with attempts > 1 an earlier attempt may have deleted it. */
  deleteServer(serverId: string, opts?: CallOptions): Promise<void>;
  updateNic(networkId: string, nicId: string, payload: UpdateNicPayload, opts?: CallOptions): Promise<Nic>;

  listMachineTypes(opts?: CallOptions): Promise<MachineType[]>;
  getImage(imageId: string, opts?: CallOptions): Promise<Image>;
  listImages(opts?: LabelQuery & { all?: boolean | undefined }): Promise<Image[]>;
  getKeyPair(name: string, opts?: CallOptions): Promise<Keypair>;
  listKeyPairs(opts?: LabelQuery): Promise<Keypair[]>;
  listAvailabilityZones(opts?: CallOptions): Promise<string[]>;
  getAffinityGroup(affinityGroupId: string, opts?: CallOptions): Promise<AffinityGroup>;
  listAffinityGroups(opts?: CallOptions): Promise<AffinityGroup[]>;
  listSecurityGroups(opts?: LabelQuery): Promise<SecurityGroup[]>;
  getNetwork(networkId: string, opts?: CallOptions): Promise<Network>;
  listNetworks(opts?: LabelQuery): Promise<Network[]>;
  getVolume(volumeId: string, opts?: CallOptions): Promise<Volume>;
  listVolumes(opts?: LabelQuery): Promise<Volume[]>;
}

const P = '/v2/projects/{projectId}/regions/{region}' as const;
const SERVERS = `${P}/servers` as const;
const SERVER = `${P}/servers/{serverId}` as const;
const NIC = `${P}/networks/{networkId}/nics/{nicId}` as const;
const MACHINE_TYPES = `${P}/machine-types` as const;
const IMAGES = `${P}/images` as const;
const IMAGE = `${P}/images/{imageId}` as const;
const AFFINITY_GROUPS = `${P}/affinity-groups` as const;
const AFFINITY_GROUP = `${P}/affinity-groups/{affinityGroupId}` as const;
const SECURITY_GROUPS = `${P}/security-groups` as const;
const NETWORKS = `${P}/networks` as const;
const NETWORK = `${P}/networks/{networkId}` as const;
const VOLUMES = `${P}/volumes` as const;
const VOLUME = `${P}/volumes/{volumeId}` as const;

const requestIdHeaders = ['x-request-id', 'x-correlation-id', 'x-trace-id'];

/** What each typed openapi-fetch call gets from #call. */
interface AttemptInit {
  signal: AbortSignal;
  headers: Record<string, string>;
  fetch: (req: Request) => Promise<Response>;
}
type Sent = Promise<{ data?: unknown; error?: unknown; response: Response }>;

export function createIaasClient(config: IaasClientConfig): IaasClient {
  return new StackitIaasClient(config);
}

class StackitIaasClient implements IaasClient {
  readonly endpoint: string;
  readonly projectId: string;
  readonly region: string;
  readonly #api: ReturnType<typeof createClient<paths>>;
  readonly #tokens: TokenSource;
  readonly #policy: RetryPolicy;
  readonly #onRequest: RequestHook | undefined;
  readonly #userAgent: string;

  constructor(config: IaasClientConfig) {
    const issues: { field: string; problem: string }[] = [];
    const endpoint = normalizeEndpoint(config.endpoint);
    if (endpoint === undefined) issues.push({ field: 'endpoint', problem: 'must be an http(s) URL' });
    if (typeof config.projectId !== 'string' || !uuid.test(config.projectId)) {
      issues.push({ field: 'projectId', problem: 'must be a UUID' });
    }
    if (typeof config.region !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(config.region)) {
      issues.push({ field: 'region', problem: 'must be a region name such as eu01' });
    }
    if (config.auth.type === 'none' && endpoint !== undefined && isStackitHost(endpoint)) {
      issues.push({
        field: 'auth',
        problem: `unauthenticated access is only for simulators and test endpoints, not ${new URL(endpoint).host}`,
      });
    }
    if (config.auth.type === 'token' && (typeof config.auth.token !== 'string' || config.auth.token === '')) {
      issues.push({ field: 'auth.token', problem: 'is empty' });
    }
    if (issues.length > 0 || endpoint === undefined)
      throw new IaasConfigError('invalid IaaS client configuration', issues);

    this.endpoint = endpoint;
    this.projectId = config.projectId.toLowerCase();
    this.region = config.region;
    this.#onRequest = config.onRequest;
    this.#policy = { ...defaultRetryPolicy, ...config.retry };
    this.#userAgent = config.userAgent ?? 'machine-controller-manager-provider-stackit';
    this.#tokens = tokenSourceFor(config.auth, config.onRequest);
    // A bearer token must never follow a redirect to wherever it points.
    this.#api = createClient<paths>({ baseUrl: endpoint, redirect: 'error' });
  }

  get #scope() {
    return { projectId: this.projectId, region: this.region };
  }

  async createServer(payload: CreateServerPayload, opts: CallOptions = {}): Promise<Server> {
    return this.#call('CreateServer', 'POST', opts, checkServer.one, (init) =>
      this.#api.POST(SERVERS, {
        params: { path: this.#scope },
        body: payload as Schemas['CreateServerPayload'],
        ...init,
      }),
    );
  }

  async getServer(serverId: string, opts: ServerQuery = {}): Promise<Server> {
    const path = { ...this.#scope, serverId: segment('serverId', serverId) };
    return this.#call('GetServer', 'GET', opts, checkServer.one, (init) =>
      this.#api.GET(SERVER, { params: { path, query: { details: opts.details ?? false } }, ...init }),
    );
  }

  async listServers(opts: ListServersQuery = {}): Promise<Server[]> {
    const query: { details: boolean; label_selector?: string } = { details: opts.details ?? false };
    if (opts.labelSelector !== undefined && opts.labelSelector !== '')
      query.label_selector = opts.labelSelector;
    return this.#call('ListServers', 'GET', opts, checkServer.list, (init) =>
      this.#api.GET(SERVERS, { params: { path: this.#scope, query }, ...init }),
    );
  }

  async updateServer(
    serverId: string,
    payload: UpdateServerPayload,
    opts: CallOptions = {},
  ): Promise<Server> {
    const path = { ...this.#scope, serverId: segment('serverId', serverId) };
    return this.#call('UpdateServer', 'PATCH', opts, checkServer.one, (init) =>
      this.#api.PATCH(SERVER, { params: { path }, body: payload as Schemas['UpdateServerPayload'], ...init }),
    );
  }

  async deleteServer(serverId: string, opts: CallOptions = {}): Promise<void> {
    const path = { ...this.#scope, serverId: segment('serverId', serverId) };
    return this.#call('DeleteServer', 'DELETE', opts, ignoreBody, (init) =>
      this.#api.DELETE(SERVER, { params: { path }, ...init }),
    );
  }

  async updateNic(
    networkId: string,
    nicId: string,
    payload: UpdateNicPayload,
    opts: CallOptions = {},
  ): Promise<Nic> {
    const path = {
      ...this.#scope,
      networkId: segment('networkId', networkId),
      nicId: segment('nicId', nicId),
    };
    // PATCH replaces the given fields with absolute values: repeating it is harmless, so it is retried.
    return this.#call('UpdateNic', 'PATCH', opts, checkNic.one, (init) =>
      this.#api.PATCH(NIC, { params: { path }, body: payload as Schemas['UpdateNicPayload'], ...init }),
    );
  }

  async listMachineTypes(opts: CallOptions = {}): Promise<MachineType[]> {
    return this.#call('ListMachineTypes', 'GET', opts, checkMachineType.list, (init) =>
      this.#api.GET(MACHINE_TYPES, { params: { path: this.#scope }, ...init }),
    );
  }

  async getImage(imageId: string, opts: CallOptions = {}): Promise<Image> {
    const path = { ...this.#scope, imageId: segment('imageId', imageId) };
    return this.#call('GetImage', 'GET', opts, checkImage.one, (init) =>
      this.#api.GET(IMAGE, { params: { path }, ...init }),
    );
  }

  async listImages(opts: LabelQuery & { all?: boolean | undefined } = {}): Promise<Image[]> {
    const query: { all?: boolean; label_selector?: string } = {};
    if (opts.all !== undefined) query.all = opts.all;
    if (opts.labelSelector) query.label_selector = opts.labelSelector;
    return this.#call('ListImages', 'GET', opts, checkImage.list, (init) =>
      this.#api.GET(IMAGES, { params: { path: this.#scope, query }, ...init }),
    );
  }

  async getKeyPair(name: string, opts: CallOptions = {}): Promise<Keypair> {
    const path = { keypairName: segment('keypairName', name) };
    return this.#call('GetKeyPair', 'GET', opts, checkKeypair.one, (init) =>
      this.#api.GET('/v2/keypairs/{keypairName}', { params: { path }, ...init }),
    );
  }

  async listKeyPairs(opts: LabelQuery = {}): Promise<Keypair[]> {
    const query = opts.labelSelector ? { label_selector: opts.labelSelector } : {};
    return this.#call('ListKeyPairs', 'GET', opts, checkKeypair.list, (init) =>
      this.#api.GET('/v2/keypairs', { params: { query }, ...init }),
    );
  }

  async listAvailabilityZones(opts: CallOptions = {}): Promise<string[]> {
    return this.#call('ListAvailabilityZones', 'GET', opts, checkAvailabilityZone.list, (init) =>
      this.#api.GET('/v2/regions/{region}/availability-zones', {
        params: { path: { region: this.region } },
        ...init,
      }),
    );
  }

  async getAffinityGroup(affinityGroupId: string, opts: CallOptions = {}): Promise<AffinityGroup> {
    const path = { ...this.#scope, affinityGroupId: segment('affinityGroupId', affinityGroupId) };
    return this.#call('GetAffinityGroup', 'GET', opts, checkAffinityGroup.one, (init) =>
      this.#api.GET(AFFINITY_GROUP, { params: { path }, ...init }),
    );
  }

  async listAffinityGroups(opts: CallOptions = {}): Promise<AffinityGroup[]> {
    return this.#call('ListAffinityGroups', 'GET', opts, checkAffinityGroup.list, (init) =>
      this.#api.GET(AFFINITY_GROUPS, { params: { path: this.#scope }, ...init }),
    );
  }

  async listSecurityGroups(opts: LabelQuery = {}): Promise<SecurityGroup[]> {
    const query = opts.labelSelector ? { label_selector: opts.labelSelector } : {};
    return this.#call('ListSecurityGroups', 'GET', opts, checkSecurityGroup.list, (init) =>
      this.#api.GET(SECURITY_GROUPS, { params: { path: this.#scope, query }, ...init }),
    );
  }

  async getNetwork(networkId: string, opts: CallOptions = {}): Promise<Network> {
    const path = { ...this.#scope, networkId: segment('networkId', networkId) };
    return this.#call('GetNetwork', 'GET', opts, checkNetwork.one, (init) =>
      this.#api.GET(NETWORK, { params: { path }, ...init }),
    );
  }

  async listNetworks(opts: LabelQuery = {}): Promise<Network[]> {
    const query = opts.labelSelector ? { label_selector: opts.labelSelector } : {};
    return this.#call('ListNetworks', 'GET', opts, checkNetwork.list, (init) =>
      this.#api.GET(NETWORKS, { params: { path: this.#scope, query }, ...init }),
    );
  }

  async getVolume(volumeId: string, opts: CallOptions = {}): Promise<Volume> {
    const path = { ...this.#scope, volumeId: segment('volumeId', volumeId) };
    return this.#call('GetVolume', 'GET', opts, checkVolume.one, (init) =>
      this.#api.GET(VOLUME, { params: { path }, ...init }),
    );
  }

  async listVolumes(opts: LabelQuery = {}): Promise<Volume[]> {
    const query = opts.labelSelector ? { label_selector: opts.labelSelector } : {};
    return this.#call('ListVolumes', 'GET', opts, checkVolume.list, (init) =>
      this.#api.GET(VOLUMES, { params: { path: this.#scope, query }, ...init }),
    );
  }

  #call<T>(
    operation: string,
    method: HttpMethod,
    opts: CallOptions,
    accept: (body: unknown) => T,
    send: (init: AttemptInit) => Sent,
  ): Promise<T> {
    return withRetries((n) => this.#attempt(operation, method, n, opts, accept, send), {
      policy: this.#policy,
      signal: opts.signal,
      deadline: opts.deadline,
    });
  }

  async #attempt<T>(
    operation: string,
    method: HttpMethod,
    attempt: number,
    opts: CallOptions,
    accept: (body: unknown) => T,
    send: (init: AttemptInit) => Sent,
  ): Promise<T> {
    const started = performance.now();
    const report = (status: number | undefined, error?: IaasErrorKind) =>
      emitRequestEvent(this.#onRequest, {
        operation,
        method,
        status,
        durationMs: performance.now() - started,
        attempt,
        retried: attempt > 1,
        error,
      });
    type FailInit = Omit<ConstructorParameters<typeof IaasApiError>[0], 'operation' | 'method' | 'attempts'>;
    // Failures before the request left (cancelled, deadline, token) are no API request: no event.
    // A token request reports itself as `ServiceAccountToken`.
    const failUnsent = (init: FailInit) =>
      new IaasApiError({ operation, method, attempts: attempt, ...init });
    const fail = (init: FailInit) => {
      report(init.status, init.kind);
      return failUnsent(init);
    };

    if (opts.signal?.aborted)
      throw failUnsent({ kind: 'timeout', retryable: true, aborted: true, detail: 'cancelled' });
    const remaining = opts.deadline === undefined ? undefined : opts.deadline - Date.now();
    if (remaining !== undefined && remaining <= 0) {
      throw failUnsent({
        kind: 'timeout',
        retryable: true,
        detail: 'deadline passed before the request was sent',
      });
    }

    let token: string | undefined;
    try {
      token = await this.#tokens.getToken(opts);
    } catch (err) {
      if (!(err instanceof TokenRequestError)) throw err;
      if (err.aborted || err.timedOut) {
        throw failUnsent({ kind: 'timeout', retryable: true, aborted: err.aborted, detail: err.message });
      }
      throw failUnsent({
        kind: 'auth',
        status: err.status,
        retryable: err.retryable,
        requestId: err.requestId,
        detail: err.message,
        cause: err.cause,
      });
    }

    const attemptTimeout = AbortSignal.timeout(this.#policy.attemptTimeoutMs);
    const deadlineSignal = remaining === undefined ? undefined : AbortSignal.timeout(remaining);
    const signals = [attemptTimeout];
    if (deadlineSignal) signals.push(deadlineSignal);
    if (opts.signal) signals.push(opts.signal);
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': this.#userAgent };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let response: Response | undefined;
    const capture = async (req: Request) => {
      response = await httpFetch(req);
      return response;
    };
    // For a POST any failure after sending leaves open whether the server acted on it.
    const maybeDone = method === 'POST';

    let sent: Awaited<Sent>;
    try {
      sent = await send({ signal: AbortSignal.any(signals), headers, fetch: capture });
    } catch (err) {
      const status = response?.status;
      if (opts.signal?.aborted) {
        throw fail({
          kind: 'timeout',
          status,
          retryable: true,
          aborted: true,
          outcomeUnknown: maybeDone,
          detail: 'cancelled',
        });
      }
      if (deadlineSignal?.aborted) {
        throw fail({
          kind: 'timeout',
          status,
          retryable: true,
          outcomeUnknown: maybeDone,
          detail: 'deadline passed',
        });
      }
      if (attemptTimeout.aborted) {
        const detail = `no answer within ${this.#policy.attemptTimeoutMs} ms`;
        throw fail({ kind: 'timeout', status, retryable: true, outcomeUnknown: maybeDone, detail });
      }
      if (response?.ok && err instanceof SyntaxError) {
        throw fail({
          kind: 'malformed-response',
          status,
          retryable: false,
          outcomeUnknown: maybeDone,
          detail: 'a body that is not JSON',
          requestId: requestIdOf(response),
        });
      }
      const detail = networkDetail(err);
      if (detail === 'unexpected redirect') {
        // Redirects are refused (see createClient above); repeating the request changes nothing.
        throw fail({
          kind: 'network',
          retryable: false,
          detail: 'the API answered with a redirect, which is not followed',
        });
      }
      throw fail({ kind: 'network', status, retryable: true, outcomeUnknown: maybeDone, detail });
    }

    const res = sent.response;
    const requestId = requestIdOf(res);
    if (res.ok) {
      let value: T;
      try {
        value = accept(sent.data);
      } catch (err) {
        if (!(err instanceof BodyProblem)) throw err;
        // A 201 with a broken body still created the server.
        throw fail({
          kind: 'malformed-response',
          status: res.status,
          retryable: false,
          outcomeUnknown: maybeDone,
          detail: err.message,
          requestId,
        });
      }
      report(res.status);
      return value;
    }

    if (res.status === 401 && token !== undefined) this.#tokens.invalidate?.(token);
    const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    const s = res.status;
    const detail =
      method === 'DELETE' && s === 404 && attempt > 1
        ? 'an earlier attempt of this call may have deleted it'
        : undefined;
    throw fail({
      kind: 'http',
      status: s,
      body: parseErrorBody(sent.error),
      requestId,
      retryAfterMs,
      retryable: s >= 500 || s === 429 || s === 408 || s === 409,
      outcomeUnknown: maybeDone && s >= 500,
      detail,
    });
  }
}

function tokenSourceFor(auth: IaasAuth, onRequest: RequestHook | undefined): TokenSource {
  switch (auth.type) {
    case 'none':
      return noAuthTokenSource;
    case 'token':
      return new StaticTokenSource(auth.token);
    case 'service-account-key': {
      const key = isParsedKey(auth.key)
        ? auth.key
        : parseServiceAccountKey(auth.key, { privateKey: auth.privateKey });
      return new KeyFlowTokenSource({
        key,
        tokenUrl: auth.tokenUrl,
        leewaySeconds: auth.refreshLeewaySeconds,
        onRequest,
      });
    }
  }
}

function isParsedKey(k: unknown): k is ServiceAccountKey {
  return typeof k === 'object' && k !== null && 'signingKey' in k;
}

function ignoreBody(): void {}

/** Path parameters must be one segment: `..` would make the URL parser climb to another resource. */
function segment(name: string, value: string): string {
  if (typeof value !== 'string' || value === '' || value === '.' || value === '..' || value.length > 255) {
    throw new IaasConfigError('invalid argument', [
      { field: name, problem: 'must be a non-empty identifier' },
    ]);
  }
  return value;
}

function requestIdOf(res: Response): string | undefined {
  for (const h of requestIdHeaders) {
    const v = res.headers.get(h);
    if (v) return v;
  }
  return undefined;
}

/** httpFetch, like fetch, puts the reason in `cause` (ECONNREFUSED, socket hang up); no request data is included. */
function networkDetail(err: unknown): string {
  if (!(err instanceof Error)) return 'request failed';
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err.message;
}
