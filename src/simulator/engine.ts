// The simulator's core: state, timing, faults and counters, and the server lifecycle
// (CREATING -> ACTIVE | ERROR; DELETING -> gone). Transitions are timestamps applied lazily by
// `advance`, which every request calls first.
import type { Logger } from 'pino';
import { Auth } from './auth.ts';
import { CounterSet } from './counters.ts';
import { Faults } from './faults.ts';
import type { Prng } from './prng.ts';
import type { ServerRecord, Store } from './store.ts';
import type { FaultProfile } from './types.ts';

export interface EngineTiming {
  bootDelayMs: number;
  deleteDelayMs: number;
  tokenTtlSeconds: number;
}

export class Engine {
  readonly store: Store;
  readonly faults: Faults;
  readonly counters = new CounterSet();
  readonly auth: Auth;
  readonly timing: EngineTiming;
  readonly noAuth: boolean;
  readonly log: Logger;
  /** Called after every state change (the state file debounces its writes). */
  onChange: () => void = () => {};

  constructor(opts: {
    store: Store;
    rng: Prng;
    faults?: FaultProfile;
    timing: EngineTiming;
    noAuth: boolean;
    log: Logger;
  }) {
    this.store = opts.store;
    this.faults = new Faults(opts.faults, opts.rng);
    this.timing = opts.timing;
    this.noAuth = opts.noAuth;
    this.log = opts.log;
    this.auth = new Auth(this.store, () => this.timing.tokenTtlSeconds);
  }

  changed(): void {
    this.onChange();
  }

  schedule(s: ServerRecord, at: number, next: 'ACTIVE' | 'ERROR' | 'GONE', errorMessage?: string): void {
    s.due = errorMessage === undefined ? { at, next } : { at, next, errorMessage };
    this.store.due.push({ at, serverId: s.id });
  }

  /** Applies every transition due by `now`. */
  advance(now = Date.now()): void {
    let changed = false;
    for (const d of this.store.due.popDue(now)) {
      const s = this.store.servers.get(d.serverId);
      // Stale heap entries (rescheduled or removed servers) are skipped.
      if (!s?.due || s.due.at !== d.at) continue;
      const due = s.due;
      delete s.due;
      const at = new Date(due.at).toISOString();
      s.updatedAt = at;
      changed = true;
      if (due.next === 'ACTIVE') {
        s.status = 'ACTIVE';
        s.powerStatus = 'RUNNING';
        s.launchedAt = at;
        for (const id of s.volumes) this.setVolumeStatus(id, 'ATTACHED');
        if (s.bootVolume) this.setVolumeStatus(s.bootVolume.id, 'ATTACHED');
      } else if (due.next === 'ERROR') {
        s.status = 'ERROR';
        s.powerStatus = 'STOPPED';
        s.errorMessage = due.errorMessage ?? 'simulated error';
      } else {
        this.removeServer(s);
      }
    }
    if (changed) this.changed();
  }

  private setVolumeStatus(id: string, status: string): void {
    const v = this.store.volumes.get(id);
    if (v) {
      v.status = status;
      v.updatedAt = new Date().toISOString();
    }
  }

  /** Starts deletion; the server disappears after deleteDelayMs unless it is stuck. */
  beginDelete(s: ServerRecord, now: number, stuck: boolean): void {
    if (s.status === 'DELETING') return;
    s.status = 'DELETING';
    s.updatedAt = new Date(now).toISOString();
    delete s.due;
    if (!stuck) this.schedule(s, now + this.timing.deleteDelayMs, 'GONE');
    this.changed();
  }

  /** The server is gone: its own NICs and deleteOnTermination boot volume go too; the rest is detached. */
  private removeServer(s: ServerRecord): void {
    const { store } = this;
    for (const id of s.nicIds) {
      const nic = store.nics.get(id);
      if (!nic) continue;
      if (nic.ownedByServer) {
        store.ipam.release(nic.networkId, nic.ipv4);
        store.nics.delete(id);
      } else {
        delete nic.device;
      }
    }
    const now = new Date().toISOString();
    const detach = (id: string) => {
      const v = store.volumes.get(id);
      if (!v) return;
      delete v.serverId;
      v.status = 'AVAILABLE';
      v.updatedAt = now;
    };
    if (s.bootVolume) {
      if (s.bootVolume.deleteOnTermination) store.volumes.delete(s.bootVolume.id);
      else detach(s.bootVolume.id);
    }
    for (const id of s.volumes) detach(id);
    store.servers.delete(s.id);
  }
}
