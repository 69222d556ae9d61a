#!/usr/bin/env node
// stackit-machine-class check: the preflight check of a STACKIT MachineClass (see args.ts for the
// flags and exit codes, docs/operations.md for examples).
import { parseCheckArgs, usage } from './args.ts';
import { InputError, UnreachableError, UsageError } from './failures.ts';
import { ExitCode, exitCodeOf, renderJson, renderText } from './report.ts';

const name = 'stackit-machine-class';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseCheckArgs>;
  try {
    parsed = parseCheckArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`${name}: ${e.message}\n\n${usage}`);
    return e.exitCode;
  }
  if (parsed.help) {
    process.stdout.write(usage);
    return ExitCode.ok;
  }
  const { options } = parsed;
  try {
    // Loaded only now: --help and usage errors stay instant.
    const { runCheck } = await import('./run.ts');
    const reports = await runCheck(options);
    process.stdout.write(options.output === 'json' ? renderJson(reports) : renderText(reports));
    return exitCodeOf(reports);
  } catch (e) {
    if (e instanceof InputError || e instanceof UnreachableError) {
      if (options.output === 'json')
        process.stdout.write(
          `${JSON.stringify({ exitCode: e.exitCode, error: e.message, classes: [] }, null, 2)}\n`,
        );
      process.stderr.write(`${name}: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A bug, not a finding: one line, no stack (it could hold request data), exit 3 (nothing verified).
    process.stderr.write(
      `${name}: internal error: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`,
    );
    process.exitCode = ExitCode.unverified;
  },
);
