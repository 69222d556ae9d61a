// The offline half: the driver's own validation of providerSpec and Secret (src/machine-class), and
// how the two combine (region, network, boot source), so the check and the driver never disagree.
import {
  type FieldError,
  type ProviderSecret,
  type ProviderSpec,
  parseProviderSpec,
  parseSecret,
  resolveServerSettings,
  type ServerSettings,
} from '../machine-class/index.ts';
import type { ClassInput } from './class-input.ts';
import type { Finding } from './report.ts';

export interface OfflineResult {
  findings: Finding[];
  /** Set when providerSpec, Secret and their combination are valid: the online part can run. */
  valid?: { spec: ProviderSpec; secret: ProviderSecret; settings: ServerSettings };
}

/** A finding from a FieldError, with the offending value when the parser chose to show it. */
export function errorFinding(e: FieldError, input = false): Finding {
  const message = `${e.message}${e.value === undefined ? '' : ` (got ${e.value})`}`;
  return input
    ? { severity: 'error', path: e.path, message, input }
    : { severity: 'error', path: e.path, message };
}

/** Warnings arrive as `path: text`; split them so every finding has a path. */
export function warningFinding(w: string): Finding {
  const m = /^((?:providerSpec|secret)(?:\.(?:"[^"]*"|[^\s.:]+))*): (.*)$/s.exec(w);
  return m
    ? { severity: 'warning', path: m[1]!, message: m[2]! }
    : { severity: 'warning', path: '', message: w };
}

export function checkOffline(input: ClassInput, opts: { credentialsRequired: boolean }): OfflineResult {
  const findings: Finding[] = input.notes.map((n) => ({
    severity: 'warning' as const,
    path: '',
    message: n,
  }));
  const mc = input.machineClass;
  if (typeof mc.provider === 'string' && mc.provider.toLowerCase() !== 'stackit') {
    findings.push({
      severity: 'error',
      path: 'provider',
      message: `is ${JSON.stringify(mc.provider)}; this provider serves only classes with provider "stackit"`,
    });
  }

  const spec = parseProviderSpec(mc.providerSpec);
  if (!spec.ok) findings.push(...spec.errors.map((e) => errorFinding(e)));
  findings.push(...spec.warnings.map(warningFinding));

  if (input.secret === undefined) return { findings };
  const secret = parseSecret(input.secret, { credentialsRequired: opts.credentialsRequired });
  if (!secret.ok) findings.push(...secret.errors.map((e) => errorFinding(e, true)));
  findings.push(...secret.warnings.map(warningFinding));
  if (!spec.ok || !secret.ok) return { findings };

  const settings = resolveServerSettings(spec.spec, secret.secret, mc.metadata?.name ?? 'machine');
  if (!settings.ok) {
    findings.push(...settings.errors.map((e) => errorFinding(e)));
    return { findings };
  }
  findings.push(...settings.warnings.map(warningFinding));
  if (findings.some((f) => f.severity === 'error')) return { findings };
  return { findings, valid: { spec: spec.spec, secret: secret.secret, settings: settings.value } };
}
