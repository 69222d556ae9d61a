// Fault injection: the profile's schema (strict, so a typo is an error rather than a silent no-op)
// and the decisions drawn from a seedable PRNG.
import { z } from 'zod';
import { chance, type Prng } from './prng.ts';
import type { FaultProfile, LatencyFault, OperationFault, ServerFaultMatch } from './types.ts';

const probability = z.number().min(0).max(1);

const latencySchema = z.strictObject({
  ms: z.union([z.number().min(0), z.tuple([z.number().min(0), z.number().min(0)])]),
  probability: probability.optional(),
});

const operationSchema = z.strictObject({
  latency: z.union([latencySchema, z.array(latencySchema)]).optional(),
  errorRate: probability.optional(),
  errorStatus: z.number().int().min(400).max(599).optional(),
  errorMessage: z.string().optional(),
  errorAfterCommit: z.boolean().optional(),
  rateLimitRate: probability.optional(),
  retryAfterSeconds: z.number().int().min(0).optional(),
  malformedRate: probability.optional(),
  malformedKind: z.enum(['invalid-json', 'missing-required', 'unknown-status']).optional(),
});

const regexString = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const matchShape = {
  probability: probability.optional(),
  namePattern: regexString.optional(),
  machineTypes: z.array(z.string()).optional(),
  availabilityZones: z.array(z.string()).optional(),
  projectIds: z.array(z.string()).optional(),
};

export const faultProfileSchema = z.strictObject({
  operations: z.record(z.string(), operationSchema).optional(),
  capacityExhausted: z.strictObject(matchShape).optional(),
  quotaExceeded: z.strictObject({ ...matchShape, resource: z.string().optional() }).optional(),
  bootFailure: z.strictObject({ ...matchShape, message: z.string().optional() }).optional(),
  stuckDeleting: z.strictObject(matchShape).optional(),
  stuckCreating: z.strictObject(matchShape).optional(),
});

/** Parses a profile from untrusted input; throws an Error naming every bad field. */
export function parseFaultProfile(input: unknown): FaultProfile {
  const r = faultProfileSchema.safeParse(input);
  if (!r.success)
    throw new Error(`invalid fault profile: ${z.prettifyError(r.error).replaceAll('\n', '; ')}`);
  return r.data as FaultProfile;
}

export const CAPACITY_MESSAGE = 'No valid host was found. There are not enough hosts available.';

export interface ServerFacts {
  name: string;
  machineType: string;
  availabilityZone: string;
  projectId: string;
}

export class Faults {
  private profile: FaultProfile;
  private readonly rng: Prng;

  constructor(profile: FaultProfile | undefined, rng: Prng) {
    this.profile = parseFaultProfile(profile ?? {});
    this.rng = rng;
  }

  get(): FaultProfile {
    return structuredClone(this.profile);
  }

  set(profile: FaultProfile): void {
    this.profile = parseFaultProfile(profile);
  }

  /** The operation's rule: its own fields override those of '*' ('*' covers IaaS operations, not `Token`). */
  forOperation(operationId: string): OperationFault | undefined {
    const all = operationId === 'Token' ? undefined : this.profile.operations?.['*'];
    const own = this.profile.operations?.[operationId];
    if (!all && !own) return undefined;
    return { ...all, ...own };
  }

  latencyMs(rule: OperationFault | undefined): number {
    if (!rule?.latency) return 0;
    const list: LatencyFault[] = Array.isArray(rule.latency) ? rule.latency : [rule.latency];
    let total = 0;
    for (const l of list) {
      if (!chance(this.rng, l.probability)) continue;
      if (typeof l.ms === 'number') total += l.ms;
      else {
        const [min, max] = l.ms[0] <= l.ms[1] ? l.ms : [l.ms[1], l.ms[0]];
        total += min + this.rng.next() * (max - min);
      }
    }
    return Math.round(total);
  }

  rollRate(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && chance(this.rng, rate);
  }

  /** Whether a server-level fault applies to a server with these facts. */
  matches(
    kind: 'capacityExhausted' | 'quotaExceeded' | 'bootFailure' | 'stuckDeleting' | 'stuckCreating',
    s: ServerFacts,
  ): boolean {
    const m: ServerFaultMatch | undefined = this.profile[kind];
    if (!m) return false;
    if (m.namePattern !== undefined && !new RegExp(m.namePattern).test(s.name)) return false;
    if (m.machineTypes && !m.machineTypes.includes(s.machineType)) return false;
    if (m.availabilityZones && !m.availabilityZones.includes(s.availabilityZone)) return false;
    if (m.projectIds && !m.projectIds.includes(s.projectId)) return false;
    return chance(this.rng, m.probability);
  }

  quotaResource(): string {
    return this.profile.quotaExceeded?.resource ?? 'vCPU';
  }

  bootFailureMessage(): string {
    return this.profile.bootFailure?.message ?? 'simulated boot failure';
  }
}
