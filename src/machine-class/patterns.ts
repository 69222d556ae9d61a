// The value rules of the STACKIT IaaS v2 API (api/stackit-iaas/iaas-v2.json) that the ProviderSpec and
// Secret schemas share. Where we deviate from the spec, the comment says why.

import { isIP } from 'node:net';

/** The spec's UUID pattern is lowercase only; we accept any case and lowercase (UUIDs are case-insensitive). */
export { uuidPattern } from '../util/uuid.ts';
export const uuidExample = '11111111-2222-4333-8444-555555555555';

/** GenericName: machine types, performance classes, security group names (and IDs). */
export const genericNamePattern = /^[A-Za-z0-9]+([ /._-]*[A-Za-z0-9]+)*$/;
export const genericNameMaxLength = 127;

export const keypairNamePattern = /^[A-Za-z0-9@._-]*$/;
export const keypairNameMaxLength = 127;

/**
 * Label key: the spec's pattern plus `/`, which production servers carry (`kubernetes.io/cluster`
 * from Gardener's extension, `kubernetes.io/machine` from the existing provider) although the spec
 * regex forbids it.
 */
export const labelKeyPattern = /^([A-Za-z0-9][-A-Za-z0-9_./]*)?[A-Za-z0-9]$/;
export const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
export const labelMaxLength = 63;
export const reservedLabelPrefix = 'stackit-';

export const metadataKeyPattern = /^[a-zA-Z0-9-_:. ]{1,255}$/;
export const metadataValueMaxLength = 255;

/** The spec's ServiceAccountMail pattern, anchored. */
export const serviceAccountMailPattern =
  /^[a-z0-9-]+(?:\.[a-z0-9]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
export const serviceAccountMailMaxLength = 255;

/** Regions: eu01 (Heilbronn), eu02; the pattern admits future ones. */
export const regionPattern = /^[a-z]{2}\d{2}$/;

/** Zones: eu01-1, eu01-2, eu01-3 and the metro zone eu01-m; eu02's names follow the same scheme. */
export const zonePattern = /^([a-z]{2}\d{2})-(\d|m)$/;

/** The region an availability zone belongs to, or undefined when `zone` is not a zone name. */
export function regionOfZone(zone: string): string | undefined {
  return zonePattern.exec(zone)?.[1];
}

/** An IPv4/IPv6 address or CIDR, as the API's AllowedAddresses items (IP | CIDR). */
export function isIpOrCidr(value: string): boolean {
  const slash = value.indexOf('/');
  if (slash === -1) return isIP(value) !== 0;
  const ip = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  const family = isIP(ip);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}
