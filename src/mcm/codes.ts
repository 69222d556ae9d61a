// MCM's machine codes (pkg/util/provider/machinecodes/codes): gRPC's 0-16 plus 17 Uninitialized.
// The numbers travel over the plugin protocol; the names are what MCM writes to lastOperation.errorCode.
export const Code = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
  Uninitialized: 17,
} as const;

export type CodeName = keyof typeof Code;
export type CodeValue = (typeof Code)[CodeName];

export const codeName = (code: number): CodeName =>
  (Object.entries(Code).find(([, v]) => v === code)?.[0] as CodeName | undefined) ?? 'Unknown';
