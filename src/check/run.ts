// One run of the check: load the classes, check each offline and (unless --offline) online, and
// return the reports; main.ts prints them and exits with their code.
import { type IaasEnv, resolveIaasConfig } from '../iaas/index.ts';
import type { CheckOptions } from './args.ts';
import type { ClassInput } from './class-input.ts';
import { InputError } from './failures.ts';
import { loadFromFiles } from './load-files.ts';
import { checkOffline } from './offline.ts';
import { checkOnline } from './online.ts';
import type { ClassReport } from './report.ts';

export async function runCheck(options: CheckOptions, env: IaasEnv = process.env): Promise<ClassReport[]> {
  // Flags override the environment the driver reads, so the client is set up exactly as the driver's.
  const iaasEnv: IaasEnv = { ...env };
  if (options.endpoint !== undefined) {
    iaasEnv.STACKIT_IAAS_ENDPOINT = options.endpoint;
    delete iaasEnv.STACKIT_API_ENDPOINT;
  }
  if (options.tokenUrl !== undefined) iaasEnv.STACKIT_TOKEN_BASEURL = options.tokenUrl;
  let noAuth = false;
  if (!options.offline) {
    try {
      noAuth = resolveIaasConfig(iaasEnv).noAuth;
    } catch (e) {
      throw new InputError((e as Error).message);
    }
  }

  const inputs: ClassInput[] =
    options.files.length > 0
      ? loadFromFiles({
          files: options.files,
          secretFiles: options.secretFiles,
          name: options.name,
          namespace: options.namespace,
        })
      : await (await import('./load-cluster.ts')).loadFromCluster({
          kubeconfig: options.kubeconfig,
          namespace: options.namespace,
          name: options.name,
        });

  const reports: ClassReport[] = [];
  for (const input of inputs) {
    const report: ClassReport = { className: input.className, origin: input.origin, findings: [] };
    reports.push(report);
    if (input.secret === undefined && !options.offline) {
      report.findings.push({
        severity: 'error',
        path: 'secret',
        input: true,
        message:
          input.secretProblem ?? 'no Secret given: add it to the file, pass --secret FILE, or use --offline',
      });
    }
    const offline = checkOffline(input, { credentialsRequired: !noAuth });
    report.findings.push(...offline.findings);
    if (options.offline) {
      report.onlineSkipped = '--offline';
      continue;
    }
    if (!offline.valid) {
      report.onlineSkipped = input.secret === undefined ? 'no Secret' : 'fix the errors above first';
      continue;
    }
    const online = await checkOnline(offline.valid, { env: iaasEnv, timeoutMs: options.timeoutMs });
    report.findings.push(...online.findings);
    if (online.target) report.online = online.target;
  }
  return reports;
}
