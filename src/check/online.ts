// The online half: with the Secret's credentials, through the driver's IaaS client (endpoint and
// token URL from the environment, service-account key flow), ask the IaaS API whether every ID the
// class references exists and fits. Authentication and network failures end the online part of a
// class with one "could not verify" finding.
import type { IaasClient, IaasEnv } from '../iaas/index.ts';
import { Unverifiable } from './api-outcome.ts';
import { clientFor } from './client-for.ts';
import type { OfflineResult } from './offline.ts';
import type { Finding, OnlineTarget } from './report.ts';
import { verifyResources } from './verify-resources.ts';

export interface OnlineOptions {
  /** Environment for endpoint/token URL resolution (STACKIT_IAAS_ENDPOINT, STACKIT_TOKEN_BASEURL, …). */
  env: IaasEnv;
  /** Budget for one class's online checks, retries included. */
  timeoutMs: number;
}

export interface OnlineResult {
  findings: Finding[];
  target?: OnlineTarget;
}

export async function checkOnline(
  valid: NonNullable<OfflineResult['valid']>,
  opts: OnlineOptions,
): Promise<OnlineResult> {
  const call = { signal: AbortSignal.timeout(opts.timeoutMs), deadline: Date.now() + opts.timeoutMs };
  let client: IaasClient;
  try {
    client = clientFor(valid.secret, valid.settings.region, opts.env);
  } catch (e) {
    return {
      findings: [
        { severity: 'unverified', path: '', message: `cannot set up the IaaS client: ${firstLine(e)}` },
      ],
    };
  }
  const target = { endpoint: client.endpoint, projectId: client.projectId, region: client.region };
  try {
    return { findings: await verifyResources(client, valid, call), target };
  } catch (e) {
    if (e instanceof Unverifiable)
      return { findings: [{ severity: 'unverified', path: '', message: e.message }], target };
    throw e;
  }
}

const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
