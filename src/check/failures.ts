// Failures that end the whole run before any class is checked, each with its exit code.
import { ExitCode } from './report.ts';

/** Bad flags: the message is printed with the usage text. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usage;
}

/** Unreadable or malformed input (file, YAML, missing object). Never carries secret values. */
export class InputError extends Error {
  readonly exitCode = ExitCode.usage;
}

/** The cluster holding the MachineClass could not be reached. */
export class UnreachableError extends Error {
  readonly exitCode = ExitCode.unverified;
}
