// IaaS request accounting. MCM's own metrics (mcm_cloud_api_requests_total, ..._failed_total,
// ..._api_request_duration_seconds) live in the Go process's registry, so each driver call reports
// the API requests it made back to the bridge (recordedCalls), which records them there exactly as
// a Go provider would. Metrics MCM does not define live here, in the plugin's own prom-client
// registry, and are exposed through the bridge too (src/plugin).
import { AsyncLocalStorage } from 'node:async_hooks';
import { Counter, Registry } from 'prom-client';
import type { IaasRequestEvent } from '../../iaas/index.ts';

export interface ApiCallRecord {
  /** MCM's `service` label: the IaaS operation, e.g. CreateServer. */
  service: string;
  durationSeconds: number;
  failed: boolean;
}

const store = new AsyncLocalStorage<ApiCallRecord[]>();

/** Runs fn, collecting every IaaS request made on its behalf. */
export async function recordingApiCalls<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; calls: ApiCallRecord[] }> {
  const calls: ApiCallRecord[] = [];
  const result = await store.run(calls, fn);
  return { result, calls };
}

export class DriverMetrics {
  readonly registry = new Registry();
  readonly #retries = new Counter({
    name: 'stackit_iaas_request_retries_total',
    help: 'IaaS HTTP attempts that were retries of an earlier failed attempt, by operation.',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  readonly #throttled = new Counter({
    name: 'stackit_iaas_throttled_total',
    help: 'IaaS responses with HTTP 429 (rate limited), by operation.',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  readonly #responses = new Counter({
    name: 'stackit_iaas_responses_total',
    help: 'IaaS HTTP attempts by operation and outcome (HTTP status, or the error kind when none arrived).',
    labelNames: ['operation', 'code'],
    registers: [this.registry],
  });

  /** The IaaS client's request hook. */
  readonly onRequest = (e: IaasRequestEvent): void => {
    if (e.retried) this.#retries.inc({ operation: e.operation });
    if (e.status === 429) this.#throttled.inc({ operation: e.operation });
    this.#responses.inc({
      operation: e.operation,
      code: e.status !== undefined ? String(e.status) : (e.error ?? 'none'),
    });
    store.getStore()?.push({
      service: e.operation,
      durationSeconds: e.durationMs / 1000,
      failed: e.error !== undefined || (e.status !== undefined && e.status >= 400),
    });
  };
}
