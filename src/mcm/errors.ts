// The one error type a driver throws. The bridge sends `code` and `message` to the Go side, which
// rebuilds MCM's machinecodes/status error from them.

import { Code, type CodeValue, codeName } from './codes.ts';
import type { MachineIdentity } from './identity.ts';

export class MachineError extends Error {
  readonly code: CodeValue;
  /** Partial response sent with the error (GetMachineStatus + Uninitialized). */
  readonly partial: MachineIdentity | undefined;
  /**
   * InitializeMachine only: this Machine can never become Running; the Go side marks it phase
   * Failed so its MachineSet replaces it at once (driver.proto, Status.machine_failed).
   */
  readonly machineFailed: boolean;

  constructor(
    code: CodeValue,
    message: string,
    opts: { cause?: unknown; partial?: MachineIdentity; machineFailed?: boolean } = {},
  ) {
    // MCM parses its error string by square brackets: keep them out of messages.
    super(sanitizeMessage(message), { cause: opts.cause });
    this.name = 'MachineError';
    this.code = code;
    this.partial = opts.partial;
    this.machineFailed = opts.machineFailed ?? false;
  }

  get codeName(): string {
    return codeName(this.code);
  }
}

export function sanitizeMessage(message: string): string {
  return message.replaceAll('[', '(').replaceAll(']', ')');
}

export const isMachineError = (e: unknown): e is MachineError => e instanceof MachineError;

export { Code };
