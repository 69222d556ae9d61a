// Machine object writes per Machine, from a watch on Machines: every MODIFIED event is one write
// that changed the object (the API server sends no event for a no-op update). Counted per Machine
// from its creation until `freeze(name)` (the caller freezes a Machine when it first shows Running,
// or Failed), so the event that sets Running is counted.
//
// Which write it was:
// - status or main resource: exact. The Machine CRD has the status subresource, so a status write
//   can change only .status and a write of the main resource never .status: the event is a status
//   write when .status differs from the previous event's.
// - writer: best effort, from metadata.managedFields. The entry (manager, operation, subresource)
//   whose time or fields changed since the previous event made the write. A manager's time moves
//   only in whole seconds, so a second write of the same manager within one second that touches
//   no new field changes nothing there: then the write goes to the newest entry of the same kind
//   (status or main) and counts as "inferred".
import type { McmObject } from '../../stack/mcm-objects.ts';
import { round, type Summary, summarize } from './stats.ts';

interface Entry {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string;
  fieldsV1?: unknown;
}

interface Rec {
  rv: string;
  status: string;
  fields: Map<string, string>;
  times: Map<string, string>;
  writes: number;
  status_: number;
  main: number;
  inferred: number;
  writers: Map<string, number>;
  frozen: boolean;
}

export interface WriteSummary {
  /** Machines counted (those frozen, i.e. that reached the end point). */
  machines: number;
  /** MODIFIED events per Machine, all writers. */
  all: Summary;
  /** Writes of the status subresource per Machine (exact). */
  status: Summary;
  /** Writes of the main resource (metadata, spec) per Machine (exact). */
  main: Summary;
  /** Mean writes per Machine by writer "manager operation [subresource]" (best effort, see inferred). */
  byWriterMean: Record<string, number>;
  /** Share of the writes attributed by the fallback (same manager within one second). */
  inferredShare: number;
  /** Watch restarts during the count: a restart can hide writes (counted as one). */
  watchRestarts: number;
}

const keyOf = (e: Entry) =>
  `${e.manager ?? '?'} ${e.operation ?? '?'}${e.subresource ? ` ${e.subresource}` : ''}`;

export class MachineWrites {
  private readonly recs = new Map<string, Rec>();
  watchRestarts = 0;

  /** Feed every watch event (not list results). */
  event(type: string, m: McmObject): void {
    const name = m.metadata?.name as string | undefined;
    if (!name || type === 'DELETED' || type === 'BOOKMARK') return;
    const rv = String(m.metadata?.resourceVersion ?? '');
    const status = JSON.stringify(m.status ?? {});
    const entries = (m.metadata?.managedFields ?? []) as Entry[];
    const fields = new Map(entries.map((e) => [keyOf(e), JSON.stringify(e.fieldsV1 ?? {})]));
    const times = new Map(entries.map((e) => [keyOf(e), e.time ?? '']));
    const prev = this.recs.get(name);
    if (!prev) {
      this.recs.set(name, {
        rv,
        status,
        fields,
        times,
        writes: 0,
        status_: 0,
        main: 0,
        inferred: 0,
        writers: new Map(),
        frozen: false,
      });
      return;
    }
    if (prev.rv === rv) return;
    if (!prev.frozen) {
      const isStatus = prev.status !== status;
      const changed = [...fields.keys()].filter(
        (k) => prev.fields.get(k) !== fields.get(k) || prev.times.get(k) !== times.get(k),
      );
      const sameKind = (k: string) => k.endsWith(' status') === isStatus;
      // The writer's entry is the one whose time moved (or that is new); another entry can change
      // too, when the write took over fields it owned (its fields shrink, its time stays).
      const moved = changed.filter((k) => prev.times.get(k) !== times.get(k));
      let writer: string | undefined = moved.filter(sameKind)[0] ?? moved[0];
      if (writer === undefined) {
        // same manager within one second: the entry whose fields changed, else the newest of its kind
        prev.inferred++;
        writer =
          changed.filter(sameKind)[0] ??
          [...times.entries()]
            .filter(([k]) => sameKind(k))
            .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))[0]?.[0] ??
          (isStatus ? '? status' : '? main');
      }
      prev.writes++;
      if (isStatus) prev.status_++;
      else prev.main++;
      prev.writers.set(writer, (prev.writers.get(writer) ?? 0) + 1);
    }
    prev.rv = rv;
    prev.status = status;
    prev.fields = fields;
    prev.times = times;
  }

  /** Stop counting this Machine (it reached the end point). */
  freeze(name: string): void {
    const r = this.recs.get(name);
    if (r) r.frozen = true;
  }

  /** Writes so far of one Machine. */
  of(name: string): number | undefined {
    return this.recs.get(name)?.writes;
  }

  /** Summary over the frozen Machines whose names pass `filter` (default all). */
  summary(filter: (name: string) => boolean = () => true): WriteSummary {
    const rs = [...this.recs.entries()].filter(([n, r]) => r.frozen && filter(n));
    const writer = new Map<string, number>();
    let inferred = 0;
    let total = 0;
    for (const [, r] of rs) {
      total += r.writes;
      inferred += r.inferred;
      for (const [k, v] of r.writers) writer.set(k, (writer.get(k) ?? 0) + v);
    }
    return {
      machines: rs.length,
      all: summarize(rs.map(([, r]) => r.writes)),
      status: summarize(rs.map(([, r]) => r.status_)),
      main: summarize(rs.map(([, r]) => r.main)),
      byWriterMean: Object.fromEntries(
        [...writer.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => [k, round(v / (rs.length || 1), 2)]),
      ),
      inferredShare: round(total === 0 ? 0 : inferred / total, 3),
      watchRestarts: this.watchRestarts,
    };
  }
}
