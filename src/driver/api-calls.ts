// Cloud API request accounting, driver-neutral. MCM's own metrics (mcm_cloud_api_requests_total,
// ..._requests_failed_total, ..._api_request_duration_seconds) live in the Go process's registry,
// so the plugin runs every driver call inside withApiCalls and returns the requests it made to the
// bridge, which records them there exactly as a Go provider would (see docs/operations.md, Metrics).
// A driver reports each HTTP attempt with recordApiCall; outside a call it is a no-op.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ApiCallRecord {
  /** MCM's `service` label: the API operation, e.g. CreateServer. */
  service: string;
  durationSeconds: number;
  /** No response, or an HTTP status >= 400. */
  failed: boolean;
}

const store = new AsyncLocalStorage<ApiCallRecord[]>();

/** Reports one API request to the driver call it was made for (if any). */
export function recordApiCall(record: ApiCallRecord): void {
  store.getStore()?.push(record);
}

/**
 * Runs fn, appending every API request made on its behalf to `calls`. The array is filled also when
 * fn throws: a failed driver call made API requests too.
 */
export function withApiCalls<T>(calls: ApiCallRecord[], fn: () => Promise<T>): Promise<T> {
  return store.run(calls, fn);
}
