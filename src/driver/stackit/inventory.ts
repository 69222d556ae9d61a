// A shared, short-lived view of one MachineClass's servers. MCM retries every booting Machine every
// 5 s; answering those retries from one labelled list per class (instead of one GET per Machine)
// keeps API calls per Machine independent of the boot time and of the number of Machines.
import type { Server } from '../../iaas/types.ts';

export interface CallOptions {
  signal?: AbortSignal;
  /** Epoch ms. */
  deadline?: number;
}

export type ListServers = (labelSelector: string, opts: CallOptions) => Promise<Server[]>;

export interface Snapshot {
  servers: ReadonlyMap<string, Server>;
  /** When the list request that produced it was started (epoch ms). */
  listedAt: number;
}

export class ServerInventory {
  readonly #list: ListServers;
  readonly #selector: string;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #current: Snapshot | undefined;
  #inflight: { startedAt: number; promise: Promise<Snapshot> } | undefined;
  /** One list queued behind the in-flight one, shared by every caller that arrived too late for it. */
  #queued: Promise<Snapshot> | undefined;
  /** Local writes newer than the last list (a list started before a write cannot know about it). */
  readonly #overlay = new Map<string, { at: number; server: Server | null }>();

  constructor(list: ListServers, selector: string, opts: { maxAgeMs: number; now?: () => number }) {
    this.#list = list;
    this.#selector = selector;
    this.#maxAgeMs = opts.maxAgeMs;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Servers of the class. `fresh` asks for a list started after this call (authoritative: used before
   * deciding that a server is gone); otherwise a list at most maxAgeMs old is reused.
   */
  async snapshot(opts: CallOptions & { fresh?: boolean } = {}): Promise<Snapshot> {
    const requestedAt = this.#now();
    const cur = this.#current;
    if (!opts.fresh && cur && requestedAt - cur.listedAt <= this.#maxAgeMs) return this.#merged(cur);
    const notBefore = opts.fresh ? requestedAt : requestedAt - this.#maxAgeMs;
    const inflight = this.#inflight;
    if (!inflight) return this.#merged(await this.#refresh(opts).promise);
    if (inflight.startedAt >= notBefore) return this.#merged(await inflight.promise);
    // A list is running but started too early for this caller: wait for the next one, which all
    // such callers share, so a burst of creates costs two lists, not one per create.
    this.#queued ??= inflight.promise.then(
      () => this.#startQueued(opts),
      () => this.#startQueued(opts),
    );
    return this.#merged(await this.#queued);
  }

  #startQueued(opts: CallOptions): Promise<Snapshot> {
    this.#queued = undefined;
    return this.#refresh(opts).promise;
  }

  /** Record a server this process just created or changed, so the next snapshot shows it. */
  upsert(server: Server): void {
    this.#overlay.set(server.id, { at: this.#now(), server: stripUserData(server) });
  }

  /** Record a delete request: the server is DELETING until a later list stops showing it. */
  markDeleting(server: Server): void {
    this.upsert({ ...server, status: 'DELETING' });
  }

  #refresh(opts: CallOptions): { startedAt: number; promise: Promise<Snapshot> } {
    const startedAt = this.#now();
    const promise = this.#list(this.#selector, opts).then((servers) => {
      const snap: Snapshot = {
        servers: new Map(servers.map((s) => [s.id, stripUserData(s)])),
        listedAt: startedAt,
      };
      if (!this.#current || this.#current.listedAt <= startedAt) this.#current = snap;
      // A write in the same millisecond as the list's start may be missing from it: keep those.
      for (const [id, w] of this.#overlay) if (w.at < startedAt) this.#overlay.delete(id);
      return snap;
    });
    const entry = { startedAt, promise };
    this.#inflight = entry;
    const clear = () => {
      if (this.#inflight === entry) this.#inflight = undefined;
    };
    promise.then(clear, clear);
    return entry;
  }

  #merged(snap: Snapshot): Snapshot {
    if (this.#overlay.size === 0) return snap;
    const servers = new Map(snap.servers);
    for (const [id, w] of this.#overlay) {
      if (w.at < snap.listedAt) continue;
      if (w.server) servers.set(id, w.server);
      else servers.delete(id);
    }
    return { servers, listedAt: snap.listedAt };
  }
}

/** userData can hold a bootstrap token: never keep it in memory longer than the response. */
function stripUserData(server: Server): Server {
  if (!('userData' in server)) return server;
  const { userData: _drop, ...rest } = server as Server & { userData?: unknown };
  return rest as Server;
}
