// Bridge latency: runs the opt-in Go measurement (cmd/machine-controller/internal/bridgetest,
// TestMeasureLatency, docs/bridge.md) and parses its p50/p90/p99/max line.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../stack/binaries.ts';

export interface BridgeResult {
  command: string;
  calls?: number;
  p50Ms?: number;
  p90Ms?: number;
  p99Ms?: number;
  maxMs?: number;
  pluginRss?: string;
  error?: string;
  durationSeconds: number;
}

/** Go duration string ("412.3µs", "2.1ms", "1.02s") in milliseconds. */
export function goDurationMs(s: string): number {
  const m = /^([\d.]+)(ns|µs|us|ms|s)$/.exec(s.trim());
  if (!m) return Number.NaN;
  const v = Number(m[1]);
  const unit = m[2];
  return unit === 'ns' ? v / 1e6 : unit === 'µs' || unit === 'us' ? v / 1e3 : unit === 'ms' ? v : v * 1e3;
}

/** `pluginCommand`: the plugin command line the measurement runs (the run's, so numbers compare). */
export async function measureBridge(pluginCommand: string): Promise<BridgeResult> {
  const cwd = join(repoRoot, 'cmd/machine-controller');
  const args = ['test', '-count=1', '-run', 'TestMeasureLatency', '-v', './internal/bridgetest/'];
  const command = `cd cmd/machine-controller && BRIDGE_MEASURE=1 BRIDGE_MEASURE_LOG_LEVEL=info BRIDGE_MEASURE_COMMAND="${pluginCommand}" go test -count=1 -run TestMeasureLatency -v ./internal/bridgetest/`;
  const started = Date.now();
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    const child = spawn('go', args, {
      cwd,
      env: {
        ...process.env,
        BRIDGE_MEASURE: '1',
        BRIDGE_MEASURE_LOG_LEVEL: 'info',
        BRIDGE_MEASURE_COMMAND: pluginCommand,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (b: Buffer) => {
      text += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      text += b.toString();
    });
    child.on('error', (e) => resolve({ code: -1, text: `${text}\n${e.message}` }));
    child.on('close', (code) => resolve({ code, text }));
  });
  const durationSeconds = (Date.now() - started) / 1000;
  const m = /(\d+) sequential calls: p50=(\S+) p90=(\S+) p99=(\S+) max=(\S+)/.exec(out.text);
  if (!m) {
    return {
      command,
      durationSeconds,
      error: `go test exited ${out.code}; no latency line in its output: ${out.text.slice(-800)}`,
    };
  }
  const rss = /plugin RSS: (.*)/.exec(out.text)?.[1]?.trim();
  return {
    command,
    durationSeconds,
    calls: Number(m[1]),
    p50Ms: goDurationMs(m[2] as string),
    p90Ms: goDurationMs(m[3] as string),
    p99Ms: goDurationMs(m[4] as string),
    maxMs: goDurationMs(m[5] as string),
    ...(rss ? { pluginRss: rss } : {}),
  };
}
