// In-process memory of the driver that is safe to lose on restart (it only tunes backoff and saves
// calls): everything that matters for correctness is read back from STACKIT.
import type { MachineRef } from '../../machine-class/server-identity.ts';
import { Code, MachineError } from '../../mcm/errors.ts';

/** Servers of one class that ended in ERROR, counted until one of the class becomes ACTIVE. */
export interface ClassFailure {
  at: number;
  streak: number;
  capacity: boolean;
  /** STACKIT's errorMessage of the latest one. */
  reason: string;
  machineType: string | undefined;
  zone: string | undefined;
}

export interface DriverState {
  /** namespace/class -> its latest ERROR servers. */
  classFailures: Map<string, ClassFailure>;
  /** Server id -> when this process asked STACKIT to delete it (epoch ms). */
  deleteRequestedAt: Map<string, number>;
  holds: FailureHolds;
  /** How long one DeleteMachine call waits for its server to be gone (delete-machine.ts). */
  deleteWaitMs: number;
}

/** How long a class's recent ERROR servers hold back its next create (see below). */
export interface FailureHolds {
  capacityMs: number;
  streakMs: number;
}

export const DELETE_WAIT_MS = 45_000;

export const newDriverState = (
  o: { holds?: Partial<FailureHolds>; deleteWaitMs?: number } = {},
): DriverState => ({
  classFailures: new Map(),
  deleteRequestedAt: new Map(),
  holds: { capacityMs: CAPACITY_HOLD_MS, streakMs: STREAK_HOLD_MS, ...o.holds },
  deleteWaitMs: o.deleteWaitMs ?? DELETE_WAIT_MS,
});

/**
 * A Machine whose server ended in ERROR is marked Failed and replaced at once by its MachineSet
 * (initialize-machine.ts). Without a hold, a zone out of capacity or a broken image would turn that
 * into a create/ERROR/replace loop on STACKIT's API. The replacement's CreateMachine is answered
 * instead, without creating, for a while: ResourceExhausted for capacity (MCM retries after
 * --resource-exhausted-retry and cluster-autoscaler backs off the pool), Internal after
 * STREAK_LIMIT other ERRORs in a row (MCM retries after 3 min).
 */
// Shorter than MCM's retry of the held create (--resource-exhausted-retry, 10 min; 3 min for
// Internal), so that retry really creates; long enough to catch the replacement's first create.
export const CAPACITY_HOLD_MS = 30_000;
export const STREAK_HOLD_MS = 120_000;
export const STREAK_LIMIT = 3;

const keyOf = (ref: MachineRef) => `${ref.namespace}/${ref.className}`;

export function recordServerError(
  state: DriverState,
  ref: MachineRef,
  f: Omit<ClassFailure, 'at' | 'streak'>,
  now = Date.now(),
): void {
  const prev = state.classFailures.get(keyOf(ref));
  if (state.classFailures.size > 10_000) state.classFailures.clear();
  state.classFailures.set(keyOf(ref), { ...f, at: now, streak: (prev?.streak ?? 0) + 1 });
}

export function recordServerActive(state: DriverState, ref: MachineRef): void {
  state.classFailures.delete(keyOf(ref));
}

/** The error that holds back a create of this class, if its servers failed recently. */
export function recentClassFailure(
  state: DriverState,
  ref: MachineRef,
  now = Date.now(),
): MachineError | undefined {
  const f = state.classFailures.get(keyOf(ref));
  if (!f) return undefined;
  const ago = Math.round((now - f.at) / 1000);
  const what = `not creating a server for machine ${ref.name} yet`;
  if (f.capacity && now - f.at < state.holds.capacityMs) {
    return new MachineError(
      Code.ResourceExhausted,
      `${what}: a server of machine class ${ref.className} ended in ERROR for lack of capacity ${ago} s ago ("${f.reason}"); STACKIT has no capacity for machine type ${f.machineType ?? '?'} in ${f.zone ?? 'the chosen zone'}. Trying again after MCM's resource-exhausted backoff; consider another zone or machine type`,
    );
  }
  if (!f.capacity && f.streak >= STREAK_LIMIT && now - f.at < state.holds.streakMs) {
    return new MachineError(
      Code.Internal,
      `${what}: the last ${f.streak} servers of machine class ${ref.className} ended in ERROR, the latest ${ago} s ago ("${f.reason}"); check image, machine type and volumes in the MachineClass. Trying again after a backoff`,
    );
  }
  return undefined;
}
