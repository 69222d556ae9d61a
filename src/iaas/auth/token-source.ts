// Where the bearer token for an IaaS request comes from: the key flow, a static token, or nothing
// (simulators and other test endpoints only).

import type { CallOptions } from '../retry.ts';

export interface TokenSource {
  /** The value for `Authorization: Bearer`, or undefined to send no Authorization header. */
  getToken(opts: CallOptions): Promise<string | undefined>;
  /** Drops a token the API refused (401), so the next call fetches a fresh one. */
  invalidate?(token: string): void;
}

/** A failed token request; the client turns it into an IaasApiError of kind `auth`. */
export class TokenRequestError extends Error {
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly requestId: string | undefined;
  readonly timedOut: boolean;
  readonly aborted: boolean;

  constructor(
    message: string,
    o: {
      status?: number | undefined;
      retryable: boolean;
      requestId?: string | undefined;
      timedOut?: boolean;
      aborted?: boolean;
      cause?: unknown;
    },
  ) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'TokenRequestError';
    this.status = o.status;
    this.retryable = o.retryable;
    this.requestId = o.requestId;
    this.timedOut = o.timedOut ?? false;
    this.aborted = o.aborted ?? false;
  }
}

export class StaticTokenSource implements TokenSource {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  async getToken(): Promise<string> {
    return this.#token;
  }
}

export const noAuthTokenSource: TokenSource = {
  async getToken() {
    return undefined;
  },
};

/** The STACKIT domain: requests there always need credentials. */
export function isStackitHost(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return false;
  }
  return host === 'stackit.cloud' || host.endsWith('.stackit.cloud');
}
