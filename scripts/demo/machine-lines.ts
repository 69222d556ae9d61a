// One line per change of any Machine in the namespace (phase, IP, server status), with its
// lastOperation when that changed, and a line when a Machine is gone: whoever created it.
import type { McmObject } from '../../stack/mcm-objects.ts';

export interface ServerView {
  id: string;
  name?: string;
  status?: string;
  nics?: { ipv4?: string }[];
}

interface Seen {
  state: string;
  operation: string;
}

export class MachineLines {
  private readonly seen = new Map<string, Seen>();

  /** The lines to print for this snapshot of the namespace's Machines and the simulator's servers. */
  update(machines: McmObject[], servers: ServerView[]): string[] {
    const lines: string[] = [];
    const names = new Set<string>();
    for (const m of [...machines].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
      const name: string = m.metadata.name;
      names.add(name);
      const server = servers.find(
        (s) => (m.spec?.providerID as string | undefined)?.endsWith(`/${s.id}`) || s.name === name,
      );
      const phase = m.status?.currentStatus?.phase || '(creating)';
      const state = `${phase}, ip ${server?.nics?.[0]?.ipv4 ?? '-'}, server ${server?.status ?? '-'}`;
      const op = m.status?.lastOperation;
      const operation = op?.description
        ? `${op.type ?? '?'}/${op.state ?? '?'}: ${String(op.description).replace(/\s+/g, ' ')}`
        : '';
      const before = this.seen.get(name);
      if (before?.state === state && before.operation === operation) continue;
      const opPart = operation && operation !== before?.operation ? `; lastOperation ${operation}` : '';
      lines.push(`machine ${name} ${state}${opPart}`);
      this.seen.set(name, { state, operation });
    }
    for (const name of [...this.seen.keys()]) {
      if (names.has(name)) continue;
      lines.push(`machine ${name} gone`);
      this.seen.delete(name);
    }
    return lines;
  }
}
