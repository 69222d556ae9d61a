// STACKIT's service-account key flow (SDK core/clients/key_flow.go): sign an RS512 assertion with the
// key, trade it for an access token at the token URL, reuse the token until shortly before its `exp`.
// Concurrent callers share one in-flight token request; a failed request is not remembered.

import { randomUUID } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { emitRequestEvent, type RequestHook } from '../events.ts';
import { httpFetch } from '../http-fetch.ts';
import type { CallOptions } from '../retry.ts';
import type { ServiceAccountKey } from './service-account-key.ts';
import { TokenRequestError, type TokenSource } from './token-source.ts';

export const defaultTokenUrl = 'https://service-account.api.stackit.cloud/token';

/**
 * The SDK's precedence: explicit option, then env STACKIT_TOKEN_BASEURL (both arrive here as
 * `explicit`, see resolveIaasConfig), then the key's credentials.tokenEndpoint, then the default.
 */
export function resolveTokenUrl(key: ServiceAccountKey, explicit?: string): string {
  return explicit || key.credentials.tokenEndpoint || defaultTokenUrl;
}

export interface KeyFlowOptions {
  key: ServiceAccountKey;
  /** Already resolved (option or STACKIT_TOKEN_BASEURL); falls back to the key's, then the default. */
  tokenUrl?: string | undefined;
  /** Refresh this long before the token's exp (capped at half the token's lifetime). */
  leewaySeconds?: number;
  /** One token request may take this long; it is shared, so no single caller's deadline bounds it. */
  requestTimeoutMs?: number;
  onRequest?: RequestHook | undefined;
  now?: () => number;
}

interface CachedToken {
  token: string;
  refreshAt: number;
}

const assertionLifetimeSeconds = 3600;
const grantType = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export class KeyFlowTokenSource implements TokenSource {
  readonly tokenUrl: string;
  readonly #key: ServiceAccountKey;
  readonly #leewayMs: number;
  readonly #requestTimeoutMs: number;
  readonly #onRequest: RequestHook | undefined;
  readonly #now: () => number;
  #cached: CachedToken | undefined;
  #inflight: Promise<CachedToken> | undefined;

  constructor(opts: KeyFlowOptions) {
    this.#key = opts.key;
    this.tokenUrl = resolveTokenUrl(opts.key, opts.tokenUrl);
    this.#leewayMs = (opts.leewaySeconds ?? 30) * 1000;
    this.#requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.#onRequest = opts.onRequest;
    this.#now = opts.now ?? Date.now;
  }

  async getToken(opts: CallOptions = {}): Promise<string> {
    const cached = this.#cached;
    if (cached && this.#now() < cached.refreshAt) return cached.token;
    if (!this.#inflight) {
      this.#inflight = this.#requestToken().finally(() => {
        this.#inflight = undefined;
      });
    }
    return (await raceCaller(this.#inflight, opts)).token;
  }

  invalidate(token: string): void {
    if (this.#cached?.token === token) this.#cached = undefined;
  }

  async #requestToken(): Promise<CachedToken> {
    const { credentials, signingKey } = this.#key;
    const iat = Math.floor(this.#now() / 1000);
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS512', kid: credentials.kid, typ: 'JWT' })
      .setIssuer(credentials.iss)
      .setSubject(credentials.sub)
      .setAudience(credentials.aud)
      .setIssuedAt(iat)
      .setExpirationTime(iat + assertionLifetimeSeconds)
      .sign(signingKey);

    const started = performance.now();
    const event = (status?: number, failed = false) =>
      emitRequestEvent(this.#onRequest, {
        operation: 'ServiceAccountToken',
        method: 'POST',
        status,
        durationMs: performance.now() - started,
        attempt: 1,
        retried: false,
        error: failed ? 'auth' : undefined,
      });

    let res: Response;
    try {
      res = await httpFetch(this.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: grantType, assertion }).toString(),
        signal: AbortSignal.timeout(this.#requestTimeoutMs),
        redirect: 'error',
      });
    } catch (err) {
      event(undefined, true);
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new TokenRequestError(timedOut ? 'token request timed out' : 'token request failed to connect', {
        retryable: true,
        cause: causeWithoutSecrets(err),
      });
    }
    const requestId = res.headers.get('x-request-id') ?? undefined;
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      event(res.status, true);
      throw new TokenRequestError('token response was cut off', {
        status: res.status,
        retryable: true,
        requestId,
        cause: causeWithoutSecrets(err),
      });
    }
    if (!res.ok) {
      event(res.status, true);
      throw new TokenRequestError(`token endpoint refused the assertion${errorSummary(text)}`, {
        status: res.status,
        retryable: res.status >= 500 || res.status === 429 || res.status === 408,
        requestId,
      });
    }
    const token = parseTokenResponse(text, this.#now());
    if (typeof token === 'string') {
      event(res.status, true);
      throw new TokenRequestError(token, { status: res.status, retryable: false, requestId });
    }
    event(res.status);
    const lifetime = token.expiresAt - this.#now();
    const cached = {
      token: token.accessToken,
      refreshAt: token.expiresAt - Math.min(this.#leewayMs, lifetime / 2),
    };
    this.#cached = cached;
    return cached;
  }
}

/** Access token and its expiry, or a problem description (without token material). */
function parseTokenResponse(text: string, now: number): { accessToken: string; expiresAt: number } | string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'token response is not JSON';
  }
  if (typeof body !== 'object' || body === null) return 'token response is not a JSON object';
  const { access_token: accessToken, expires_in: expiresIn } = body as Record<string, unknown>;
  if (typeof accessToken !== 'string' || accessToken === '') {
    return 'token response has no `access_token`';
  }
  // Like the SDK: trust the token's own exp (decoded, not verified); expires_in only as a fallback.
  let expiresAt: number | undefined;
  try {
    const { exp } = decodeJwt(accessToken);
    if (typeof exp === 'number') expiresAt = exp * 1000;
  } catch {
    // not a JWT: fall back below
  }
  if (expiresAt === undefined && typeof expiresIn === 'number' && expiresIn > 0) {
    expiresAt = now + expiresIn * 1000;
  }
  if (expiresAt === undefined) return 'token response has neither a JWT `exp` nor `expires_in`';
  if (expiresAt <= now) return 'token endpoint returned an already expired token';
  return { accessToken, expiresAt };
}

/** OAuth-style or STACKIT-style error fields, shortened; never the raw body. */
function errorSummary(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return '';
  }
  if (typeof body !== 'object' || body === null) return '';
  const b = body as Record<string, unknown>;
  const parts = [b.error, b.error_description, b.msg, b.message]
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .map((v) => (v.length > 200 ? `${v.slice(0, 200)}…` : v));
  return parts.length ? `: ${parts.join(': ')}` : '';
}

/** Fetch errors can carry request details; keep only name and message. */
function causeWithoutSecrets(err: unknown): Error | undefined {
  if (!(err instanceof Error)) return undefined;
  const inner = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  const e = new Error(`${err.message}${inner}`);
  e.name = err.name;
  return e;
}

/** Waits for the shared promise, but gives up on this caller's own signal or deadline. */
function raceCaller<T>(p: Promise<T>, opts: CallOptions): Promise<T> {
  const { signal, deadline } = opts;
  if (!signal && deadline === undefined) return p;
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const cleanup = () => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      cleanup();
      reject(
        new TokenRequestError('call was cancelled while waiting for a token', {
          retryable: true,
          aborted: true,
        }),
      );
    };
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    if (deadline !== undefined) {
      timer = setTimeout(
        () => {
          cleanup();
          reject(
            new TokenRequestError('deadline passed while waiting for a token', {
              retryable: true,
              timedOut: true,
            }),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
    }
    p.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e) => {
        cleanup();
        reject(e);
      },
    );
  });
}
