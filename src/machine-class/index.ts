// The STACKIT driver's configuration surface: providerSpec and Secret validation, their combination
// for one Machine, the name rules for servers and labels, and how a server is tied to its Machine.
export type { FieldError } from './field-error.ts';
export { formatFieldError, formatFieldErrors } from './field-error.ts';
export * from './names.ts';
export { regionPattern } from './patterns.ts';
export type { ParseProviderSpecResult, ProviderSpec } from './provider-spec.ts';
export { bootVolumeSourceTypes, parseProviderSpec, providerSpecSchema } from './provider-spec.ts';
export * from './resolve.ts';
export type { ParseSecretOptions, ParseSecretResult, ProviderSecret } from './secret.ts';
export { credentialFingerprint, parseSecret, secretKeyDocs, withUserData } from './secret.ts';
export * from './server-identity.ts';
