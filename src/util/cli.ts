// Command-line parsing shared by every script and bin: node:util parseArgs plus `-h/--help` and
// usage errors that are one line and exit 2, never an ERR_PARSE_ARGS_* stack trace.
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

export interface CliSpec<O extends ParseArgsOptionsConfig> {
  /** Short name that prefixes error lines, e.g. `demo`. */
  name: string;
  /** How a user runs it, e.g. `npm run demo --`; the hint says `<command> --help`. */
  command: string;
  /** The whole --help text. */
  usage: string;
  options: O;
  /** Arguments after the first `--` are handed back as `rest` (e.g. flags for a child process). */
  passThrough?: boolean;
  /** Default: process.argv.slice(2). */
  argv?: string[];
}

type Values<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>['values'];

export interface Cli<O extends ParseArgsOptionsConfig> {
  values: Values<O>;
  rest: string[];
  /** A usage error: one line on stderr, a hint to --help, exit 2. */
  fail(message: string): never;
  /** An integer option value >= min, or a usage error naming the option. */
  integer(option: string, text: string | undefined, min?: number): number | undefined;
}

export function parseCli<const O extends ParseArgsOptionsConfig>(spec: CliSpec<O>): Cli<O> {
  const argv = spec.argv ?? process.argv.slice(2);
  const sep = spec.passThrough ? argv.indexOf('--') : -1;
  const own = sep >= 0 ? argv.slice(0, sep) : argv;
  const rest = sep >= 0 ? argv.slice(sep + 1) : [];
  const fail = (message: string): never => {
    process.stderr.write(`${spec.name}: ${message}\nRun \`${spec.command} --help\` for usage.\n`);
    process.exit(2);
  };
  const help = () => {
    process.stdout.write(spec.usage.endsWith('\n') ? spec.usage : `${spec.usage}\n`);
    process.exit(0);
  };
  let values: Values<O> & { help?: boolean };
  try {
    values = parseArgs({
      args: own,
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values as Values<O> & { help?: boolean };
  } catch (e) {
    // `--bogus --help` still asks for help.
    if (own.includes('--help') || own.includes('-h')) help();
    // node's messages: "Unknown option '--x'", "Unexpected argument 'x'. This command does not …".
    const first = (e as Error).message.split('. ')[0]!;
    fail(first.charAt(0).toLowerCase() + first.slice(1));
  }
  if (values!.help) help();
  return {
    values: values!,
    rest,
    fail,
    integer(option, text, min = 0) {
      if (text === undefined) return undefined;
      const n = Number(text);
      if (text.trim() === '' || !Number.isInteger(n) || n < min) {
        fail(`--${option} must be an integer >= ${min}, got '${text}'`);
      }
      return n;
    },
  };
}
