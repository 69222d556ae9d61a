// The errors of the IaaS client. Every failed call ends in one IaasApiError whose fields carry what
// the driver needs to pick an MCM code; configuration mistakes are IaasConfigError. Messages are built
// only from operation names, status codes, the API's `msg` and field paths, and are scrubbed once
// more so a token or key that slipped into a server message does not travel further.

export type IaasErrorKind = 'http' | 'network' | 'timeout' | 'malformed-response' | 'auth';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** The spec's error body (both fields required there). */
export interface IaasErrorBody {
  code: number;
  msg: string;
}

export interface IaasApiErrorInit {
  operation: string;
  method: HttpMethod;
  kind: IaasErrorKind;
  status?: number | undefined;
  body?: IaasErrorBody | undefined;
  requestId?: string | undefined;
  retryAfterMs?: number | undefined;
  retryable: boolean;
  /** For POSTs: whether the request may have taken effect although it failed. */
  outcomeUnknown?: boolean | undefined;
  attempts?: number | undefined;
  aborted?: boolean | undefined;
  /** Extra words for the message; must never contain secrets or user data. */
  detail?: string | undefined;
  cause?: unknown;
}

const maxMsgLength = 300;

export class IaasApiError extends Error {
  /** The spec's operationId, e.g. `GetServer` (`ServiceAccountToken` for the token request itself). */
  readonly operation: string;
  readonly method: HttpMethod;
  readonly kind: IaasErrorKind;
  /** HTTP status; undefined for network errors, timeouts and key problems. */
  readonly status: number | undefined;
  /** The API's `{code, msg}` error body when it sent one. */
  readonly body: IaasErrorBody | undefined;
  readonly requestId: string | undefined;
  /** What Retry-After asked for, in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /**
   * Whether a later attempt may succeed (5xx, 429, 408, 409, network errors, timeouts). It says
   * nothing about safety: a non-idempotent call (`idempotent === false`, i.e. CreateServer) must
   * not be repeated blindly; look the resource up first.
   */
  readonly retryable: boolean;
  /** True for GET/PATCH/DELETE: repeating the request cannot create a second resource. */
  readonly idempotent: boolean;
  /** The request may have been carried out although it failed (5xx, timeout, network error after sending). */
  readonly outcomeUnknown: boolean;
  /** HTTP attempts made for this call (including the failed last one). */
  readonly attempts: number;
  /** The caller's AbortSignal ended the call (as opposed to its deadline). */
  readonly aborted: boolean;
  readonly #init: IaasApiErrorInit;

  constructor(init: IaasApiErrorInit) {
    super(buildMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.#init = init;
    this.name = 'IaasApiError';
    this.operation = init.operation;
    this.method = init.method;
    this.kind = init.kind;
    this.status = init.status;
    this.body = init.body && { code: init.body.code, msg: scrubSecrets(init.body.msg) };
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = init.retryable;
    this.idempotent = init.method !== 'POST';
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    this.attempts = init.attempts ?? 1;
    this.aborted = init.aborted ?? false;
  }

  get notFound(): boolean {
    return this.kind === 'http' && this.status === 404;
  }

  /** The same error with the number of attempts the call made. */
  withAttempts(attempts: number): IaasApiError {
    if (attempts === this.attempts) return this;
    return new IaasApiError({ ...this.#init, attempts });
  }
}

export const isIaasApiError = (e: unknown): e is IaasApiError => e instanceof IaasApiError;

/** A configuration or key problem, found before any request is made. Lists every issue at once. */
export class IaasConfigError extends Error {
  /** One entry per problem: the field path and what is wrong with it (never its value). */
  readonly issues: readonly { field: string; problem: string }[];

  constructor(subject: string, issues: { field: string; problem: string }[]) {
    super(`${subject}: ${issues.map((i) => `${i.field}: ${i.problem}`).join('; ')}`);
    this.name = 'IaasConfigError';
    this.issues = issues;
  }

  get fields(): string[] {
    return this.issues.map((i) => i.field);
  }
}

const kindWords: Record<IaasErrorKind, string> = {
  http: 'HTTP error',
  network: 'network error',
  timeout: 'timed out',
  'malformed-response': 'malformed response',
  auth: 'authentication failed',
};

function buildMessage(init: IaasApiErrorInit): string {
  // "GetServer returned a server without `id`, HTTP 200" reads better than a generic prefix.
  const lead =
    init.kind === 'malformed-response' && init.detail
      ? `${init.operation} returned ${init.detail}`
      : `${init.operation}: ${kindWords[init.kind]}`;
  const parts: string[] = [lead];
  if (init.status !== undefined) parts.push(`HTTP ${init.status}`);
  if (init.body) parts.push(`${truncate(init.body.msg)} (code ${init.body.code})`);
  if (init.requestId) parts.push(`request id ${truncate(init.requestId, 100)}`);
  if (init.retryAfterMs !== undefined) parts.push(`retry after ${Math.ceil(init.retryAfterMs / 1000)}s`);
  if ((init.attempts ?? 1) > 1) parts.push(`after ${init.attempts} attempts`);
  let msg = parts.join(', ');
  if (init.detail && init.kind !== 'malformed-response') msg += `: ${init.detail}`;
  return scrubSecrets(msg);
}

function truncate(s: string, max = maxMsgLength): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Removes what looks like credentials: bearer values, JWTs, PEM blocks. A second line of defence;
 * callers must not put secrets into messages in the first place.
 */
export function scrubSecrets(text: string): string {
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?(-----END [A-Z ]+-----|$)/g, '[redacted key]')
    .replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/\beyJ[\w-]*\.[\w-]+\.[\w-]*/g, '[redacted token]');
}
