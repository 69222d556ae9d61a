// The IaaS client for a class, set up as the driver sets it up (src/driver/stackit/resolve.ts):
// endpoint, token URL and STACKIT_NO_AUTH from the environment (resolveIaasConfig), the Secret's
// service-account key through the key flow, else its static token.
import {
  createIaasClient,
  type IaasAuth,
  type IaasClient,
  type IaasEnv,
  resolveIaasConfig,
} from '../iaas/index.ts';
import type { ProviderSecret } from '../machine-class/index.ts';

export function clientFor(secret: ProviderSecret, region: string, env: IaasEnv): IaasClient {
  const iaas = resolveIaasConfig(env);
  return createIaasClient({
    endpoint: iaas.endpoint,
    projectId: secret.projectId,
    region,
    auth: authFor(secret, iaas.noAuth, iaas.tokenUrl),
    userAgent: 'machine-controller-manager-provider-stackit/check',
    // A preflight answers within seconds: fewer, shorter retries than the driver's.
    retry: { maxAttempts: 3, maxDelayMs: 2_000, attemptTimeoutMs: 15_000 },
  });
}

function authFor(secret: ProviderSecret, noAuth: boolean, tokenUrl: string | undefined): IaasAuth {
  if (noAuth) return { type: 'none' };
  // Older ProviderSecrets carry the key as JSON text with a separate privateKey; the client takes both forms.
  const s = secret as ProviderSecret & { privateKey?: string };
  if (s.serviceAccountKey !== undefined)
    return { type: 'service-account-key', key: s.serviceAccountKey, privateKey: s.privateKey, tokenUrl };
  if (s.accessToken !== undefined) return { type: 'token', token: s.accessToken };
  throw new Error('the Secret has no credentials (serviceAccountKey or accessToken)');
}
