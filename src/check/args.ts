// Command line of `stackit-machine-class check`: strict flags, and a usage text instead of a stack
// trace for anything unknown.
import { parseArgs } from 'node:util';
import { UsageError } from './failures.ts';

export const usage = `Usage: stackit-machine-class check [flags]

Checks a MachineClass of the STACKIT provider before Machines use it: the providerSpec and Secret
offline with the driver's own validation, then online with the Secret's credentials that every
referenced image, machine type, network, security group, keypair, affinity group, volume and
availability zone exists and fits.

Input, from files:
  -f, --file <file>        MachineClass YAML/JSON, may also hold its Secret (several documents or a
                           List); repeatable; - reads stdin
      --secret <file>      the Secret (data or stringData); repeatable
or from a cluster (when no --file is given):
      --kubeconfig <file>  kubeconfig (default: KUBECONFIG, then ~/.kube/config)
  -n, --namespace <ns>     namespace of the MachineClass (default: the context's, else default)
      --name <name>        check only this MachineClass (default: every class in the files/namespace)

Checking:
      --offline            skip the online part (no credentials needed)
      --endpoint <url>     IaaS API base URL (default: STACKIT_IAAS_ENDPOINT, STACKIT_API_ENDPOINT,
                           else https://iaas.api.stackit.cloud)
      --token-url <url>    token URL for the key flow (default: STACKIT_TOKEN_BASEURL, else the key's
                           credentials.tokenEndpoint)
      --timeout <seconds>  budget for the online checks of one class (default 60)
  -o, --output <format>    text (default) or json
  -h, --help               this text

Exit codes:
  0  no problems (warnings allowed)
  1  problems found: the class would fail
  2  usage or input error: bad flags, unreadable file, bad YAML, Secret missing or invalid
  3  could not verify online: authentication or network failure, API errors
`;

export interface CheckOptions {
  files: string[];
  secretFiles: string[];
  kubeconfig?: string | undefined;
  namespace?: string | undefined;
  name?: string | undefined;
  offline: boolean;
  endpoint?: string | undefined;
  tokenUrl?: string | undefined;
  timeoutMs: number;
  output: 'text' | 'json';
}

export type ParsedArgs = { help: true } | { help: false; options: CheckOptions };

export function parseCheckArgs(argv: readonly string[]): ParsedArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  const rest = positionals[0] === 'check' ? positionals.slice(1) : positionals;
  if (rest.length > 0)
    throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}; the only command is check`);

  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') throw new UsageError('--output must be text or json');
  const timeout = values.timeout === undefined ? 60 : Number(values.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new UsageError('--timeout must be a number of seconds above 0');
  const files = values.file ?? [];
  const secretFiles = values.secret ?? [];
  if (files.length === 0 && secretFiles.length > 0)
    throw new UsageError('--secret needs --file with the MachineClass');
  if (files.length > 0 && values.kubeconfig !== undefined)
    throw new UsageError('give either --file or --kubeconfig, not both');
  return {
    help: false,
    options: {
      files,
      secretFiles,
      kubeconfig: values.kubeconfig,
      namespace: values.namespace,
      name: values.name,
      offline: values.offline ?? false,
      endpoint: values.endpoint,
      tokenUrl: values['token-url'],
      timeoutMs: timeout * 1000,
      output,
    },
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      file: { type: 'string', short: 'f', multiple: true },
      secret: { type: 'string', multiple: true },
      kubeconfig: { type: 'string' },
      namespace: { type: 'string', short: 'n' },
      name: { type: 'string' },
      offline: { type: 'boolean' },
      endpoint: { type: 'string' },
      'token-url': { type: 'string' },
      timeout: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
