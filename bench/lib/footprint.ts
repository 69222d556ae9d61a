// Memory and CPU of a process from Linux /proc: VmRSS and VmHWM (peak RSS) from /proc/<pid>/status,
// utime + stime from /proc/<pid>/stat (clock ticks, 100 per second on Linux).
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;

export interface ProcSample {
  rssMiB: number;
  hwmMiB: number;
  cpuSeconds: number;
}

export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) =>
      Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name in parentheses (which may contain spaces): utime is field 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    return { rssMiB: kb('VmRSS') / 1024, hwmMiB: kb('VmHWM') / 1024, cpuSeconds: (utime + stime) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/**
 * Direct children of a process. A Go program forks from whichever OS thread runs the goroutine, so
 * every task's `children` file is read, not only the main thread's; /proc/<pid>/stat of all
 * processes (ppid) is the fallback.
 */
export function childPids(pid: number): number[] {
  const out = new Set<number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) {
          if (c) out.add(Number(c));
        }
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the process ended
  }
  if (out.size === 0) {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === pid) out.add(Number(d));
      } catch {
        // gone
      }
    }
  }
  return [...out];
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** The TypeScript driver plugin: the machine-controller's child running src/plugin. */
export function findPlugin(goPid: number): number | undefined {
  return childPids(goPid).find((p) => /plugin\/main\.(ts|js)/.test(cmdline(p)));
}

export interface FootprintPoint {
  tMs: number;
  go?: ProcSample;
  plugin?: ProcSample;
}

/** Samples the Go machine-controller and its plugin child once a second until stopped. */
export function startFootprintSampler(goPid: number, t0: () => number, intervalMs = 1000) {
  const points: FootprintPoint[] = [];
  let pluginPid = findPlugin(goPid);
  const take = (): FootprintPoint => {
    if (pluginPid === undefined || sampleProc(pluginPid) === undefined) pluginPid = findPlugin(goPid);
    const p: FootprintPoint = { tMs: Date.now() - t0() };
    const go = sampleProc(goPid);
    if (go) p.go = go;
    const plugin = pluginPid === undefined ? undefined : sampleProc(pluginPid);
    if (plugin) p.plugin = plugin;
    points.push(p);
    return p;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    points,
    get pluginPid() {
      return pluginPid;
    },
    now: take,
    stop() {
      clearInterval(timer);
      return take();
    },
  };
}

export function peak(points: readonly FootprintPoint[], who: 'go' | 'plugin'): number {
  return Math.max(0, ...points.map((p) => p[who]?.hwmMiB ?? 0));
}
