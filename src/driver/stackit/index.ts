// The STACKIT driver: MCM's driver contract on the STACKIT IaaS API. Each method is one bounded
// step (see docs/architecture.md); the methods' logic lives in one file each.
import type { Driver } from '../../driver/types.ts';
import { toMachineError } from '../../errors.ts';
import type { IaasEnv } from '../../iaas/index.ts';
import type { Logger } from '../../util/log.ts';
import { DriverMetrics } from './api-metrics.ts';
import { ClientPool } from './client-pool.ts';
import { createMachine } from './create-machine.ts';
import { deleteMachine } from './delete-machine.ts';
import { newDriverState } from './driver-state.ts';
import { getMachineStatus } from './get-machine-status.ts';
import { getVolumeIds } from './get-volume-ids.ts';
import { initializeMachine } from './initialize-machine.ts';
import { listMachines } from './list-machines.ts';
import { type ResolveDeps, resolveListing, resolveMachine } from './resolve.ts';

export interface StackitDriverOptions {
  log: Logger;
  env?: IaasEnv;
  /** How old a shared class server list may be before a call lists again (default 5 s, MCM's short retry). */
  inventoryMaxAgeMs?: number;
  metrics?: DriverMetrics;
}

export function createStackitDriver(opts: StackitDriverOptions): Driver & { metrics: DriverMetrics } {
  const metrics = opts.metrics ?? new DriverMetrics();
  const deps: ResolveDeps = {
    pool: new ClientPool({
      inventoryMaxAgeMs: opts.inventoryMaxAgeMs ?? 5_000,
      onRequest: metrics.onRequest,
    }),
    env: opts.env ?? process.env,
    log: opts.log,
    warned: new Set(),
  };
  const state = newDriverState();
  const what = (method: string, name: string | undefined) => `${method} for machine ${name ?? '?'}`;

  return {
    metrics,
    async createMachine(req, ctx) {
      try {
        return await createMachine(resolveMachine(req, ctx, deps, 'strict'), state);
      } catch (e) {
        throw toMachineError(e, what('CreateMachine', req.machine.metadata?.name));
      }
    },
    async initializeMachine(req, ctx) {
      try {
        return await initializeMachine(resolveMachine(req, ctx, deps, 'strict'));
      } catch (e) {
        throw toMachineError(e, what('InitializeMachine', req.machine.metadata?.name));
      }
    },
    async getMachineStatus(req, ctx) {
      try {
        return await getMachineStatus(resolveMachine(req, ctx, deps, 'lenient'));
      } catch (e) {
        throw toMachineError(e, what('GetMachineStatus', req.machine.metadata?.name));
      }
    },
    async deleteMachine(req, ctx) {
      try {
        return await deleteMachine(resolveMachine(req, ctx, deps, 'lenient'), state);
      } catch (e) {
        throw toMachineError(e, what('DeleteMachine', req.machine.metadata?.name));
      }
    },
    async listMachines(req, ctx) {
      try {
        return await listMachines(resolveListing(req.machineClass, req.secret, ctx, deps));
      } catch (e) {
        throw toMachineError(e, `ListMachines for machine class ${req.machineClass.metadata?.name ?? '?'}`);
      }
    },
    async getVolumeIds(req) {
      return getVolumeIds(req);
    },
  };
}
