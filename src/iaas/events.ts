// The metrics hook: one event per HTTP attempt. The driver maps these to MCM's mcm_cloud_api_*
// metrics; this module stays free of any metrics library.

import type { HttpMethod, IaasErrorKind } from './errors.ts';

export interface IaasRequestEvent {
  /** The spec's operationId (`ServiceAccountToken` for token requests). */
  operation: string;
  method: HttpMethod;
  /** HTTP status when a response arrived. */
  status?: number | undefined;
  durationMs: number;
  /** 1 for the first attempt of a call. */
  attempt: number;
  /** attempt > 1. */
  retried: boolean;
  /** Set when the attempt failed. */
  error?: IaasErrorKind | undefined;
}

export type RequestHook = (event: IaasRequestEvent) => void;

/** A throwing hook must not turn a successful call into a failed one. */
export function emitRequestEvent(hook: RequestHook | undefined, event: IaasRequestEvent): void {
  if (!hook) return;
  try {
    hook(event);
  } catch {
    // ignored on purpose
  }
}
