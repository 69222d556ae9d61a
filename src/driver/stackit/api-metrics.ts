// IaaS request accounting for the STACKIT driver. Each HTTP attempt is reported to the driver call
// it was made for (src/driver/api-calls.ts), so the bridge can record MCM's own mcm_cloud_api_*
// metrics in the Go process. Metrics MCM does not define live here, in the driver's own prom-client
// registry, which the plugin serves to the bridge (Metrics RPC) for the controller's /metrics; so
// does the gauge of servers the Go provider left that orphan collection cannot prove ours.
import { Counter, Gauge, Registry } from 'prom-client';
import type { IaasRequestEvent } from '../../iaas/index.ts';
import { recordApiCall } from '../api-calls.ts';
import type { DriverMetricsSource } from '../types.ts';

export type { ApiCallRecord } from '../api-calls.ts';

export class DriverMetrics implements DriverMetricsSource {
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

  readonly #unownedLegacy = new Gauge({
    name: 'stackit_unowned_legacy_servers',
    help: 'Servers of the Go provider for this MachineClass that no Machine of this namespace holds by ProviderID (their Machine is gone, or another cluster owns them): left alone, for an operator to check. Set by each orphan collection pass.',
    labelNames: ['machine_class'],
    registers: [this.registry],
  });

  /** ListMachines' count of the Go provider's servers it could not prove ours. */
  setUnownedLegacyServers(machineClass: string, count: number): void {
    this.#unownedLegacy.set({ machine_class: machineClass }, count);
  }

  /** The IaaS client's request hook. */
  readonly onRequest = (e: IaasRequestEvent): void => {
    if (e.retried) this.#retries.inc({ operation: e.operation });
    if (e.status === 429) this.#throttled.inc({ operation: e.operation });
    this.#responses.inc({
      operation: e.operation,
      code: e.status !== undefined ? String(e.status) : (e.error ?? 'none'),
    });
    recordApiCall({
      service: e.operation,
      durationSeconds: e.durationMs / 1000,
      failed: e.error !== undefined || (e.status !== undefined && e.status >= 400),
    });
  };

  /** The registry in Prometheus text exposition format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
