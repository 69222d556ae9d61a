// In-process memory of the driver that is safe to lose on restart (it only tunes backoff and saves
// calls): everything that matters for correctness is read back from STACKIT.
export interface DriverState {
  /** Machine name -> servers in a row that ended in ERROR. */
  errorStreak: Map<string, number>;
  /** Server id -> when this process asked STACKIT to delete it (epoch ms). */
  deleteRequestedAt: Map<string, number>;
}

export const newDriverState = (): DriverState => ({ errorStreak: new Map(), deleteRequestedAt: new Map() });
