// What the check found, per MachineClass, and how that becomes output and an exit code. Findings
// carry field paths and identifiers only: secret values never reach a finding.

export type Severity =
  /** The class (or its Secret) would make Machines fail. */
  | 'error'
  /** Worth a look; Machines can still be created. */
  | 'warning'
  /** A check that could not run (network, authentication, server error). */
  | 'unverified';

export interface Finding {
  severity: Severity;
  /** Field path such as `providerSpec.imageId` or `secret.projectId`; empty for the class as a whole. */
  path: string;
  message: string;
  /** The Secret is the check's own input: its errors exit 2, like an unreadable file. */
  input?: boolean;
}

export interface OnlineTarget {
  endpoint: string;
  projectId: string;
  region: string;
}

export interface ClassReport {
  /** `namespace/name`. */
  className: string;
  /** The file(s) or cluster the class came from. */
  origin: string;
  findings: Finding[];
  /** Where the online checks ran; undefined when they did not run. */
  online?: OnlineTarget;
  /** Why the online checks did not run, when they did not. */
  onlineSkipped?: string;
}

/** Exit codes, for CI (docs/operations.md "Preflight: check a MachineClass"). */
export const ExitCode = {
  ok: 0,
  problems: 1,
  usage: 2,
  unverified: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Input errors win over problems, problems over checks that could not run. */
export function exitCodeOf(reports: readonly ClassReport[]): ExitCode {
  const all = reports.flatMap((r) => r.findings);
  if (all.some((f) => f.severity === 'error' && f.input)) return ExitCode.usage;
  if (all.some((f) => f.severity === 'error')) return ExitCode.problems;
  if (all.some((f) => f.severity === 'unverified')) return ExitCode.unverified;
  return ExitCode.ok;
}

const label: Record<Severity, string> = { error: 'ERROR  ', warning: 'WARNING', unverified: 'UNVERIFIED' };

const count = (n: number, word: string, plural = `${word}s`) => `${n} ${n === 1 ? word : plural}`;

function summaryOf(findings: readonly Finding[]): string {
  const n = (s: Severity) => findings.filter((f) => f.severity === s).length;
  const parts = [count(n('error'), 'problem'), count(n('warning'), 'warning')];
  if (n('unverified') > 0) parts.push(`${n('unverified')} not verified`);
  return parts.join(', ');
}

/** One line per finding, a summary per class and one for the run. */
export function renderText(reports: readonly ClassReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`MachineClass ${r.className} (${r.origin})`);
    for (const f of r.findings)
      lines.push(`  ${label[f.severity]} ${f.path ? `${f.path}: ` : ''}${oneLine(f.message)}`);
    const where = r.online
      ? `checked offline and online (${r.online.endpoint}, project ${r.online.projectId}, region ${r.online.region})`
      : `checked offline only${r.onlineSkipped ? `: ${r.onlineSkipped}` : ''}`;
    lines.push(`  => ${summaryOf(r.findings)}; ${where}`);
  }
  const code = exitCodeOf(reports);
  lines.push(
    `${count(reports.length, 'MachineClass', 'MachineClasses')} checked: ${summaryOf(reports.flatMap((r) => r.findings))}; exit ${code} (${exitWords[code]})`,
  );
  return `${lines.join('\n')}\n`;
}

const exitWords: Record<ExitCode, string> = {
  0: 'ok',
  1: 'problems found',
  2: 'input error',
  3: 'could not verify online',
};

export function renderJson(reports: readonly ClassReport[]): string {
  const exitCode = exitCodeOf(reports);
  return `${JSON.stringify({ exitCode, result: exitWords[exitCode], classes: reports }, null, 2)}\n`;
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
