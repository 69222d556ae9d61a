// Machine and MachineClass names (Kubernetes object names, up to 253 characters) versus what the
// IaaS API allows: server names are hostnames of at most 63 characters, label values at most 63
// characters. Names that fit pass unchanged; others become a readable prefix plus a hash of the
// full name, deterministic so a retry finds the same server. The driver keeps the full names in the
// server's metadata (server-identity.ts) to map a shortened value back to its Machine.

import { createHash } from 'node:crypto';
import { labelMaxLength, labelValuePattern } from './patterns.ts';

export const serverNameMaxLength = 63;
const hashChars = 10;
const prefixChars = serverNameMaxLength - hashChars - 1;

const hostnameLabel = /^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;

/** The API's ServerName rule: dot-separated hostname labels, at most 63 characters in all. */
export function isValidServerName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= serverNameMaxLength &&
    name.split('.').every((l) => hostnameLabel.test(l))
  );
}

export function isValidLabelValue(value: string): boolean {
  return value.length <= labelMaxLength && labelValuePattern.test(value);
}

function hashOf(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, hashChars);
}

/** The server name for a Machine: the name itself when the API accepts it, else prefix + `-` + hash. */
export function serverNameFor(machineName: string): string {
  if (isValidServerName(machineName)) return machineName;
  const prefix = machineName
    .slice(0, prefixChars)
    .replace(/[^A-Za-z0-9.-]/g, '-')
    // Every dot-separated label must start and end with a letter or digit and not be empty.
    .split('.')
    .map((l) => l.replace(/^-+|-+$/g, ''))
    .filter((l) => l !== '')
    .join('.');
  return prefix === '' ? hashOf(machineName) : `${prefix}-${hashOf(machineName)}`;
}

/** A label value for a name: the value itself when the API accepts it, else prefix + `-` + hash. */
export function labelValueFor(value: string): string {
  if (isValidLabelValue(value)) return value;
  const prefix = value
    .slice(0, prefixChars)
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return prefix === '' ? hashOf(value) : `${prefix}-${hashOf(value)}`;
}
