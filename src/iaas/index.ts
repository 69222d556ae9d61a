// Public API of the STACKIT IaaS v2 client. Create one client per distinct credential and reuse it:
// it caches the access token and shares token refreshes between concurrent calls.

export { defaultTokenUrl, KeyFlowTokenSource, resolveTokenUrl } from './auth/key-flow.ts';
export {
  type ParseServiceAccountKeyOptions,
  parseServiceAccountKey,
  type ServiceAccountKey,
  type ServiceAccountKeyCredentials,
} from './auth/service-account-key.ts';
export { isStackitHost } from './auth/token-source.ts';
export {
  createIaasClient,
  type IaasAuth,
  type IaasClient,
  type IaasClientConfig,
  type LabelQuery,
  type ListServersQuery,
  type ServerQuery,
} from './client.ts';
export {
  defaultIaasEndpoint,
  type EndpointSource,
  type IaasConfigOverrides,
  type IaasEnv,
  type ResolvedIaasConfig,
  resolveIaasConfig,
} from './endpoints.ts';
export {
  type HttpMethod,
  IaasApiError,
  IaasConfigError,
  type IaasErrorBody,
  type IaasErrorKind,
  isIaasApiError,
} from './errors.ts';
export type { IaasRequestEvent, RequestHook } from './events.ts';
export { type CallOptions, defaultRetryPolicy, type RetryPolicy } from './retry.ts';
export type * from './types.ts';
