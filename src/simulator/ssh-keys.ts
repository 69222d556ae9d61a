// OpenSSH public keys: parsing (`<type> <base64 blob> [comment]`, the blob must name the same
// type) and the MD5 fingerprint STACKIT reports for a keypair.
import { createHash } from 'node:crypto';

const KEY_TYPES = new Set([
  'ssh-rsa',
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
]);

export interface SshPublicKey {
  type: string;
  blob: Buffer;
  comment?: string;
}

/** The parsed key, or the reason it is not one. */
export function parseSshPublicKey(text: string): SshPublicKey | string {
  const [type, data, ...rest] = text.trim().split(/\s+/);
  if (!type || !KEY_TYPES.has(type)) {
    return `key type must be one of ${[...KEY_TYPES].join(', ')}`;
  }
  if (!data || !/^[A-Za-z0-9+/]+={0,3}$/.test(data)) return 'the key data is not base64';
  const blob = Buffer.from(data, 'base64');
  // The blob starts with the key type as an SSH string (uint32 length + bytes).
  if (blob.length < 4) return 'the key data is too short';
  const len = blob.readUInt32BE(0);
  if (len > blob.length - 4 || blob.subarray(4, 4 + len).toString('latin1') !== type) {
    return `the key data is not a ${type} key`;
  }
  if (blob.length <= 4 + len) return 'the key data has no key material';
  const comment = rest.join(' ');
  return comment ? { type, blob, comment } : { type, blob };
}

/** `aa:bb:…` MD5 over the key blob, as `ssh-keygen -E md5 -l` prints it. */
export function md5Fingerprint(blob: Buffer): string {
  return createHash('md5')
    .update(blob)
    .digest('hex')
    .replace(/(..)(?!$)/g, '$1:');
}
