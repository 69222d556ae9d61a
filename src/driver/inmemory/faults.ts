// Fault injection for the in-memory driver, so bridge and controller tests can provoke every
// failure the plugin protocol has to carry. Configured as JSON keyed by driver method name
// ("createMachine", ...; "*" applies to every method):
//   { "getMachineStatus": { "code": 14, "message": "try later", "delayMs": 200, "crashOnCall": 3 } }
// - code/message: throw MachineError(code, message); with "partial": true the error carries the
//   VM's identity when it exists (MCM reads it for Uninitialized).
// - delayMs: wait first (aborted by the call's deadline); "hang": true never answers.
// - crashOnCall: N -> the process dies (SIGKILL) on the Nth call of that method.
// - blockMs: block the event loop (a wedged plugin: even health checks stop answering).
// - times: apply the error to the first N calls only.
import { readFileSync } from 'node:fs';
import type { CodeValue } from '../../mcm/codes.ts';

export interface Fault {
  code?: CodeValue;
  message?: string;
  partial?: boolean;
  delayMs?: number;
  hang?: boolean;
  crashOnCall?: number;
  blockMs?: number;
  times?: number;
}

export type FaultConfig = Record<string, Fault>;

export interface FaultSource {
  /** Current config: a file is re-read on every call so tests can change faults without a restart. */
  current(): FaultConfig;
}

export function faultSource(opts: { json?: string; file?: string }): FaultSource {
  const fixed = opts.json ? parse(opts.json, 'fault JSON') : {};
  return {
    current() {
      if (!opts.file) return fixed;
      let text: string;
      try {
        text = readFileSync(opts.file, 'utf8');
      } catch {
        return fixed;
      }
      return text.trim() === '' ? fixed : { ...fixed, ...parse(text, opts.file) };
    },
  };
}

function parse(text: string, what: string): FaultConfig {
  const v: unknown = JSON.parse(text);
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new Error(`${what}: expected a JSON object`);
  return v as FaultConfig;
}

/** Per-method call counters live with the driver; this merges the "*" default with the method's entry. */
export function faultFor(cfg: FaultConfig, method: string): Fault | undefined {
  const all = cfg['*'];
  const own = cfg[method];
  if (!all && !own) return undefined;
  return { ...all, ...own };
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // deliberately busy: simulates a wedged plugin
  }
}
