// Child processes for integration tests: output captured to a log file, readiness by URL or log
// line, graceful stop, and a process-wide safety net so an aborted test run leaves no orphans.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface StartProcessOptions {
  /** Short name used in log file names and error messages. */
  name: string;
  command: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Directory for `<name>.log`; required unless logPath is given. */
  logDir?: string;
  logPath?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr of the process, interleaved. */
  readonly logPath: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  isRunning(): boolean;
  /** Whole captured output so far. */
  readLog(): string;
  /** Last `lines` lines of the output, for error messages. */
  tail(lines?: number): string;
  /** Resolves with the first match once the output matches; rejects on timeout or if the process exits first. */
  waitForLog(pattern: RegExp | string, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<ExitStatus>;
}

const live = new Set<ManagedProcess>();
const cleanupPaths = new Set<string>();
let handlersInstalled = false;

export function startProcess(opts: StartProcessOptions): ManagedProcess {
  installExitHandlers();
  const logPath = opts.logPath ?? join(requireDir(opts.logDir, opts.name), `${opts.name}.log`);
  // The child writes straight into the file: nothing is lost if this process is busy or dies.
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args ?? [], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) {
    // spawn reports ENOENT and friends asynchronously; surface them synchronously here.
    throw new Error(`${opts.name}: could not start ${opts.command}`);
  }
  const pid = child.pid;
  let status: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      status = { code, signal };
      live.delete(handle);
      resolve(status);
    });
  });

  const readLog = () => {
    try {
      return readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };

  const handle: ManagedProcess = {
    name: opts.name,
    pid,
    logPath,
    child,
    exited,
    isRunning: () => status === undefined,
    readLog,
    tail: (lines = 30) => readLog().trimEnd().split('\n').slice(-lines).join('\n'),
    async waitForLog(pattern, timeoutMs = 60_000) {
      const re =
        typeof pattern === 'string'
          ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          : new RegExp(pattern.source, pattern.flags.replace('g', ''));
      let match: RegExpMatchArray | null = null;
      await waitFor(
        () => {
          match = re.exec(readLog());
          return match !== null;
        },
        { timeoutMs, what: `${opts.name} to log ${String(pattern)}`, process: handle },
      );
      return match as unknown as RegExpMatchArray;
    },
    async stop(graceMs = 10_000) {
      if (status !== undefined) return status;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  live.add(handle);
  return handle;
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Describes the awaited condition in the timeout error. */
  what?: string;
  /** Fail fast, with its log tail, when this process exits while waiting. */
  process?: ManagedProcess;
}

/** Polls `check` until it returns true (errors count as false). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  opts: WaitOptions = {},
): Promise<void> {
  const { timeoutMs = 60_000, intervalMs = 200, what = 'condition', process: proc } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (proc && !proc.isRunning()) {
      throw new Error(
        `${proc.name} exited while waiting for ${what}; last output:\n${proc.tail()}\n(log: ${proc.logPath})`,
      );
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      const tail = proc ? `\n${proc.name} output:\n${proc.tail()}\n(log: ${proc.logPath})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${tail}`);
    }
    await sleep(intervalMs);
  }
}

/** Waits until GET url answers with a status accepted by `ok` (default 2xx). Plain HTTP(S) fetch. */
export async function waitForUrl(
  url: string,
  opts: WaitOptions & { ok?: (status: number) => boolean } = {},
): Promise<void> {
  const ok = opts.ok ?? ((s) => s >= 200 && s < 300);
  await waitFor(
    async () => {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await res.body?.cancel();
      return ok(res.status);
    },
    { what: `${url} to answer`, ...opts },
  );
}

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/** Removes the path when this process exits, if nobody removed it before. */
export function removeOnExit(path: string): () => void {
  installExitHandlers();
  cleanupPaths.add(path);
  return () => {
    rmSync(path, { recursive: true, force: true });
    cleanupPaths.delete(path);
  };
}

/** Stops every process started through this module that is still running. */
export async function stopAllProcesses(graceMs = 5_000): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(graceMs)));
}

export function runningProcesses(): ManagedProcess[] {
  return [...live];
}

/** True while a process with this pid exists (zombies included). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function requireDir(dir: string | undefined, name: string): string {
  if (dir === undefined) throw new Error(`${name}: logDir or logPath is required`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Last resort when a test run is aborted: children must not outlive us. Only synchronous work is
// possible in an 'exit' handler, so this is SIGKILL rather than a graceful stop.
function killEverythingNow(): void {
  for (const p of live) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const path of cleanupPaths) rmSync(path, { recursive: true, force: true });
  cleanupPaths.clear();
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', killEverythingNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killEverythingNow();
      // Restore the default disposition so the process still dies of the signal.
      process.kill(process.pid, signal);
    });
  }
}
