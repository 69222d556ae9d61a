// The STACKIT driver: MCM's driver contract on the STACKIT IaaS API. Each method is one bounded
// step (see docs/architecture.md); the methods' logic lives in one file each.

import { toMachineError } from '../../errors.ts';
import type { IaasEnv } from '../../iaas/index.ts';
import type { Logger } from '../../util/log.ts';
import type { Driver } from '../types.ts';
import { DriverMetrics } from './api-metrics.ts';
import { ClientPool } from './client-pool.ts';
import { createMachine } from './create-machine.ts';
import { deleteMachine } from './delete-machine.ts';
import { type FailureHolds, newDriverState } from './driver-state.ts';
import { getMachineStatus } from './get-machine-status.ts';
import { getVolumeIds } from './get-volume-ids.ts';
import { initializeMachine } from './initialize-machine.ts';
import { listMachines } from './list-machines.ts';
import { ParseCache } from './parse-cache.ts';
import { type ResolveDeps, resolveListing, resolveMachine, resolveProcessConfig } from './resolve.ts';

export interface StackitDriverOptions {
  log: Logger;
  env?: IaasEnv;
  /** How old a shared class server list may be before a call lists again (default 5 s, MCM's short retry). */
  inventoryMaxAgeMs?: number;
  metrics?: DriverMetrics;
  /** How long recent ERROR servers of a class hold back its creates (driver-state.ts); tests shorten it. */
  failureHolds?: Partial<FailureHolds>;
  /** How long one DeleteMachine call waits for its server to be gone (default 45 s, under the call deadline). */
  deleteWaitMs?: number;
}

export function createStackitDriver(opts: StackitDriverOptions): Driver & { metrics: DriverMetrics } {
  const metrics = opts.metrics ?? new DriverMetrics();
  const deps: ResolveDeps = {
    pool: new ClientPool({
      inventoryMaxAgeMs: opts.inventoryMaxAgeMs ?? 5_000,
      onRequest: metrics.onRequest,
    }),
    config: resolveProcessConfig(opts.env ?? process.env),
    parsed: new ParseCache(),
    log: opts.log,
    warned: new Set(),
  };
  const state = newDriverState({ holds: opts.failureHolds, deleteWaitMs: opts.deleteWaitMs });
  // Every method: resolve the request, run its step, and name the method and machine in any error.
  const step = async <T>(method: string, subject: string | undefined, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (e) {
      throw toMachineError(e, `${method} for ${subject ?? '?'}`);
    }
  };
  const machine = (req: { machine: { metadata?: { name?: string } } }) =>
    `machine ${req.machine.metadata?.name ?? '?'}`;

  return {
    metrics,
    createMachine: (req, ctx) =>
      step('CreateMachine', machine(req), () =>
        createMachine(resolveMachine(req, ctx, deps, 'strict'), state),
      ),
    initializeMachine: (req, ctx) =>
      step('InitializeMachine', machine(req), () =>
        initializeMachine(resolveMachine(req, ctx, deps, 'strict'), state),
      ),
    getMachineStatus: (req, ctx) =>
      step('GetMachineStatus', machine(req), () =>
        getMachineStatus(resolveMachine(req, ctx, deps, 'lenient')),
      ),
    deleteMachine: (req, ctx) =>
      step('DeleteMachine', machine(req), () =>
        deleteMachine(resolveMachine(req, ctx, deps, 'lenient'), state),
      ),
    listMachines: (req, ctx) =>
      step('ListMachines', `machine class ${req.machineClass.metadata?.name ?? '?'}`, () =>
        listMachines(resolveListing(req.machineClass, req.secret, ctx, deps), req.machines, metrics),
      ),
    async getVolumeIds(req) {
      return getVolumeIds(req);
    },
  };
}
