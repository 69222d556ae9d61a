// The in-memory driver's VMs, optionally mirrored to a JSON file so a restarted plugin process
// (after a crash) still knows the VMs it created.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { NodeAddress } from '../types.ts';

export interface VM {
  id: string;
  machineName: string;
  className: string;
  providerId: string;
  nodeName: string;
  addresses: NodeAddress[];
  initialized: boolean;
  createdAt: string;
}

export class VMStore {
  readonly #file: string | undefined;
  #vms = new Map<string, VM>();

  constructor(file?: string) {
    this.#file = file;
    if (!file) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    const state = JSON.parse(text) as { vms?: VM[] };
    for (const vm of state.vms ?? []) this.#vms.set(vm.id, vm);
  }

  all(): VM[] {
    return [...this.#vms.values()];
  }

  byProviderId(providerId: string): VM | undefined {
    return this.all().find((vm) => vm.providerId === providerId);
  }

  byMachineName(name: string): VM | undefined {
    return this.all().find((vm) => vm.machineName === name);
  }

  put(vm: VM): void {
    this.#vms.set(vm.id, vm);
    this.#save();
  }

  delete(id: string): void {
    if (this.#vms.delete(id)) this.#save();
  }

  #save(): void {
    if (!this.#file) return;
    // Write-then-rename: a crash mid-write never leaves a truncated state file.
    const tmp = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ vms: this.all() }, null, 2));
    renameSync(tmp, this.#file);
  }
}
