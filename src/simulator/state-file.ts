// Persisting the state to a JSON file so a restarted simulator keeps its servers, NICs, volumes and
// service-account keys (public halves only; private keys are never stored). Writes are debounced
// and atomic (temp file + rename).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StateSnapshot } from './store.ts';

export function readStateFile(path: string): StateSnapshot | undefined {
  if (!existsSync(path)) return undefined;
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text) as StateSnapshot;
  } catch (e) {
    throw new Error(`state file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

export function writeStateFile(path: string, snapshot: StateSnapshot): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  // The file holds the token-signing secret: owner-only.
  writeFileSync(tmp, `${JSON.stringify(snapshot)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

export class StateWriter {
  private timer: NodeJS.Timeout | undefined;
  private readonly path: string;
  private readonly snapshot: () => StateSnapshot;
  private readonly onError: (e: unknown) => void;

  constructor(path: string, snapshot: () => StateSnapshot, onError: (e: unknown) => void) {
    this.path = path;
    this.snapshot = snapshot;
    this.onError = onError;
  }

  /** Schedules a write within 100 ms; bursts of changes cost one write. */
  markDirty(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, 100);
    this.timer.unref();
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    try {
      writeStateFile(this.path, this.snapshot());
    } catch (e) {
      this.onError(e);
    }
  }
}
