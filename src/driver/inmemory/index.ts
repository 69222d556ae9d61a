// A reference Driver that keeps VMs in memory: for the bridge's own tests and for controller-level
// tests that do not need STACKIT. It follows the MCM contract (idempotent create by machine name,
// OK for absent VMs on delete, NotFound from GetMachineStatus) and can inject faults (faults.ts).
//
// Environment (inMemoryOptionsFromEnv):
//   MC_INMEMORY_STATE        JSON file mirroring the VMs (survives plugin restarts)
//   MC_INMEMORY_FAULTS       fault config as JSON
//   MC_INMEMORY_FAULTS_FILE  fault config file, re-read on every call
import { randomUUID } from 'node:crypto';
import { Code } from '../../mcm/codes.ts';
import { MachineError } from '../../mcm/errors.ts';
import type { Logger } from '../../util/log.ts';
import type { CallContext, Driver, MachineIdentity, MachineRequest } from '../types.ts';
import { blockEventLoop, type FaultSource, faultFor, faultSource, sleep } from './faults.ts';
import { type VM, VMStore } from './store.ts';

export const PROVIDER_ID_PREFIX = 'inmemory://';
/** CSI driver whose volumes GetVolumeIDs reports. */
export const CSI_DRIVER = 'inmemory.csi.local';

export interface InMemoryDriverOptions {
  stateFile?: string;
  faults?: FaultSource;
  log?: Logger;
}

export function inMemoryOptionsFromEnv(env: NodeJS.ProcessEnv): InMemoryDriverOptions {
  return {
    stateFile: env.MC_INMEMORY_STATE || undefined,
    faults: faultSource({ json: env.MC_INMEMORY_FAULTS, file: env.MC_INMEMORY_FAULTS_FILE }),
  };
}

const identity = (vm: VM): MachineIdentity => ({
  providerId: vm.providerId,
  nodeName: vm.nodeName,
  addresses: vm.addresses,
});

export function createInMemoryDriver(opts: InMemoryDriverOptions = {}): Driver & { vms(): VM[] } {
  const store = new VMStore(opts.stateFile);
  const faults = opts.faults ?? faultSource({});
  const calls = new Map<string, number>();

  /** Applies the configured fault of `method`; `vm` feeds a partial response. */
  async function inject(method: string, ctx: CallContext, vm?: () => VM | undefined): Promise<void> {
    const n = (calls.get(method) ?? 0) + 1;
    calls.set(method, n);
    const f = faultFor(faults.current(), method);
    if (!f) return;
    if (f.crashOnCall === n) {
      opts.log?.warn({ method, call: n }, 'fault injection: crashing the plugin process');
      process.kill(process.pid, 'SIGKILL');
    }
    if (f.blockMs) blockEventLoop(f.blockMs);
    if (f.hang) await new Promise<never>(() => {});
    if (f.delayMs) await sleep(f.delayMs, ctx.signal);
    if (f.code !== undefined && f.code !== 0 && (f.times === undefined || n <= f.times)) {
      const v = f.partial ? vm?.() : undefined;
      throw new MachineError(f.code, f.message ?? `injected ${method} fault`, {
        partial: v ? identity(v) : undefined,
      });
    }
  }

  /** The VM of a machine: by spec.providerID, else by machine name (DeleteMachine's contract). */
  const find = (r: MachineRequest): VM | undefined => {
    const pid = r.machine.spec?.providerID;
    return pid ? store.byProviderId(pid) : store.byMachineName(r.machine.metadata?.name ?? '');
  };

  const driver: Driver & { vms(): VM[] } = {
    vms: () => store.all(),

    async createMachine(r, ctx) {
      await inject('createMachine', ctx, () => find(r));
      const name = r.machine.metadata?.name;
      if (!name) throw new MachineError(Code.InvalidArgument, 'machine has no name');
      const existing = store.byMachineName(name);
      if (existing) return { ...identity(existing), lastKnownState: `vm ${existing.id} exists` };
      const id = randomUUID();
      const n = store.all().length;
      const vm: VM = {
        id,
        machineName: name,
        className: r.machineClass.metadata?.name ?? '',
        providerId: `${PROVIDER_ID_PREFIX}${id}`,
        nodeName: name,
        addresses: [
          { type: 'InternalIP', address: `10.0.${(n >> 8) & 255}.${(n & 255) + 1}` },
          { type: 'Hostname', address: name },
        ],
        initialized: false,
        createdAt: new Date().toISOString(),
      };
      store.put(vm);
      ctx.log.info({ providerId: vm.providerId }, 'in-memory VM created');
      return { ...identity(vm), lastKnownState: `vm ${id} created` };
    },

    async initializeMachine(r, ctx) {
      await inject('initializeMachine', ctx, () => find(r));
      const vm = find(r);
      if (!vm) throw new MachineError(Code.NotFound, `no VM for machine ${r.machine.metadata?.name}`);
      if (!vm.initialized) store.put({ ...vm, initialized: true });
      return identity(vm);
    },

    async deleteMachine(r, ctx) {
      await inject('deleteMachine', ctx, () => find(r));
      const vm = find(r);
      if (!vm) return { lastKnownState: 'vm absent' };
      store.delete(vm.id);
      ctx.log.info({ providerId: vm.providerId }, 'in-memory VM deleted');
      return { lastKnownState: `vm ${vm.id} deleted` };
    },

    async getMachineStatus(r, ctx) {
      await inject('getMachineStatus', ctx, () => find(r));
      const vm = find(r);
      if (!vm) throw new MachineError(Code.NotFound, `no VM for machine ${r.machine.metadata?.name}`);
      return identity(vm);
    },

    async listMachines(r, ctx) {
      await inject('listMachines', ctx);
      const cls = r.machineClass.metadata?.name;
      const machineList: Record<string, string> = {};
      for (const vm of store.all()) if (vm.className === cls) machineList[vm.providerId] = vm.machineName;
      return { machineList };
    },

    async getVolumeIds(r, ctx) {
      await inject('getVolumeIds', ctx);
      const volumeIds = r.pvSpecs.flatMap((s) =>
        s.csi?.driver === CSI_DRIVER && s.csi.volumeHandle ? [s.csi.volumeHandle] : [],
      );
      return { volumeIds };
    },
  };
  return driver;
}
