// The plugin process's own metrics (memory, CPU, event loop lag, GC): the plugin is a separate
// process, so the machine-controller's process_* metrics do not cover it. Prefixed so they never
// clash with the Go process's go_*/process_* families on the same /metrics endpoint. Created on the
// first scrape: a plugin nobody scrapes pays nothing.
import { collectDefaultMetrics, Registry } from 'prom-client';

export const PLUGIN_METRICS_PREFIX = 'stackit_driver_plugin_';

export function pluginProcessMetrics(): () => Promise<string> {
  let registry: Registry | undefined;
  return () => {
    if (!registry) {
      registry = new Registry();
      collectDefaultMetrics({ register: registry, prefix: PLUGIN_METRICS_PREFIX });
    }
    return registry.metrics();
  };
}
