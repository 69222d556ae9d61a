// Where the IaaS API and the token endpoint are, from the process environment plus explicit overrides.
//
// Endpoint precedence (first set wins):
//   1. overrides.endpoint
//   2. STACKIT_IAAS_ENDPOINT   (what the existing STACKIT MCM provider reads; the more specific name)
//   3. STACKIT_API_ENDPOINT    (the name the provider README documents)
//   4. https://iaas.api.stackit.cloud
// Token URL: overrides.tokenUrl, then STACKIT_TOKEN_BASEURL (a full URL, as in the SDK); when neither
// is set the key flow uses the key's credentials.tokenEndpoint, then the STACKIT default.
// STACKIT_NO_AUTH (true/1/false/0) turns authentication off; refused for *.stackit.cloud.

import { isStackitHost } from './auth/token-source.ts';
import { IaasConfigError } from './errors.ts';

export const defaultIaasEndpoint = 'https://iaas.api.stackit.cloud';

export interface IaasEnv {
  STACKIT_IAAS_ENDPOINT?: string | undefined;
  STACKIT_API_ENDPOINT?: string | undefined;
  STACKIT_TOKEN_BASEURL?: string | undefined;
  STACKIT_NO_AUTH?: string | undefined;
  [name: string]: string | undefined;
}

export interface IaasConfigOverrides {
  endpoint?: string | undefined;
  tokenUrl?: string | undefined;
  noAuth?: boolean | undefined;
}

export type EndpointSource = 'override' | 'STACKIT_IAAS_ENDPOINT' | 'STACKIT_API_ENDPOINT' | 'default';

export interface ResolvedIaasConfig {
  /** Base URL without trailing slash and without `/v2`; request paths start with /v2. */
  endpoint: string;
  endpointSource: EndpointSource;
  /** Explicit token URL, if any; undefined lets the key flow use the key's own or the default. */
  tokenUrl: string | undefined;
  noAuth: boolean;
}

/** Resolves the IaaS endpoint settings; throws IaasConfigError naming every bad variable. */
export function resolveIaasConfig(
  env: IaasEnv = process.env,
  overrides: IaasConfigOverrides = {},
): ResolvedIaasConfig {
  const issues: { field: string; problem: string }[] = [];

  let endpointSource: EndpointSource = 'default';
  let rawEndpoint = defaultIaasEndpoint;
  const candidates: [EndpointSource, string | undefined][] = [
    ['override', overrides.endpoint],
    ['STACKIT_IAAS_ENDPOINT', env.STACKIT_IAAS_ENDPOINT],
    ['STACKIT_API_ENDPOINT', env.STACKIT_API_ENDPOINT],
  ];
  for (const [source, value] of candidates) {
    if (value !== undefined && value.trim() !== '') {
      endpointSource = source;
      rawEndpoint = value.trim();
      break;
    }
  }
  const endpoint = normalizeEndpoint(rawEndpoint);
  if (endpoint === undefined) {
    issues.push({ field: endpointField(endpointSource), problem: 'must be an http(s) URL' });
  }

  let tokenUrl: string | undefined;
  const rawToken = overrides.tokenUrl?.trim() || env.STACKIT_TOKEN_BASEURL?.trim() || undefined;
  if (rawToken !== undefined) {
    if (parseHttpUrl(rawToken)) tokenUrl = rawToken;
    else
      issues.push({
        field: overrides.tokenUrl?.trim() ? 'tokenUrl' : 'STACKIT_TOKEN_BASEURL',
        problem: 'must be an http(s) URL',
      });
  }

  let noAuth = overrides.noAuth ?? false;
  if (overrides.noAuth === undefined && env.STACKIT_NO_AUTH !== undefined) {
    const v = env.STACKIT_NO_AUTH.trim().toLowerCase();
    if (v === 'true' || v === '1') noAuth = true;
    else if (v === 'false' || v === '0' || v === '') noAuth = false;
    else issues.push({ field: 'STACKIT_NO_AUTH', problem: 'must be true, 1, false or 0' });
  }
  if (noAuth && endpoint !== undefined && isStackitHost(endpoint)) {
    issues.push({
      field: overrides.noAuth ? 'noAuth' : 'STACKIT_NO_AUTH',
      problem: `unauthenticated access is only for simulators and test endpoints, not ${new URL(endpoint).host}`,
    });
  }

  if (issues.length > 0 || endpoint === undefined) {
    throw new IaasConfigError('invalid IaaS endpoint configuration', issues);
  }
  return { endpoint, endpointSource, tokenUrl, noAuth };
}

/** Trims trailing slashes and a trailing `/v2` (paths carry it); undefined for non-http(s) input. */
export function normalizeEndpoint(value: string): string | undefined {
  const url = parseHttpUrl(value);
  if (!url || url.search || url.hash || url.username || url.password) return undefined;
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v2$/, '');
  return `${url.origin}${path}`;
}

function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function endpointField(source: EndpointSource): string {
  return source === 'override' ? 'endpoint' : source === 'default' ? 'default endpoint' : source;
}
