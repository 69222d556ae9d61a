// Minimal X.509 issuing for the test control plane: a CA, a serving cert and an admin client cert.
// node:crypto signs and parses certificates but cannot build them, so this encodes the few DER
// structures needed by hand instead of depending on openssl or a PKI library.
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isIPv4 } from 'node:net';

export interface Certificate {
  /** PEM "CERTIFICATE" */
  certPem: string;
  /** PEM PKCS#8 "PRIVATE KEY" (ECDSA P-256) */
  keyPem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** DER of the subject Name, reused verbatim as the issuer of certs this one signs */
  subjectDer: Buffer;
  subjectKeyId: Buffer;
}

export interface IssueOptions {
  commonName: string;
  organizations?: string[];
  usage: 'client' | 'server';
  dnsNames?: string[];
  ipAddresses?: string[];
  validForMs?: number;
}

const DAY = 24 * 60 * 60 * 1000;

export function createCertificateAuthority(commonName: string, validForMs = 7 * DAY): Certificate {
  const { privateKey, publicKey } = newKey();
  const subject = name(commonName, []);
  const ski = keyId(publicKey);
  const extensions = [
    extension('2.5.29.19', true, seq(bool(true))), // basicConstraints CA:TRUE
    extension('2.5.29.15', true, keyUsage(['digitalSignature', 'keyCertSign', 'cRLSign'])),
    extension('2.5.29.14', false, octets(ski)),
  ];
  const certDer = signCertificate({
    issuer: subject,
    subject,
    publicKey,
    extensions,
    validForMs,
    signer: privateKey,
  });
  return {
    certPem: pem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
    publicKey,
    subjectDer: subject,
    subjectKeyId: ski,
  };
}

export function issueCertificate(ca: Certificate, opts: IssueOptions): Certificate {
  const { privateKey, publicKey } = newKey();
  const subject = name(opts.commonName, opts.organizations ?? []);
  const ski = keyId(publicKey);
  const extensions = [
    extension('2.5.29.19', true, seq()), // basicConstraints CA:FALSE
    extension('2.5.29.15', true, keyUsage(['digitalSignature'])),
    extension(
      '2.5.29.37',
      false,
      seq(oid(opts.usage === 'server' ? '1.3.6.1.5.5.7.3.1' : '1.3.6.1.5.5.7.3.2')),
    ),
    extension('2.5.29.14', false, octets(ski)),
    extension('2.5.29.35', false, seq(tlv(0x80, ca.subjectKeyId))),
  ];
  const sans = [
    ...(opts.dnsNames ?? []).map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...(opts.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  if (sans.length > 0) extensions.push(extension('2.5.29.17', false, seq(...sans)));
  const certDer = signCertificate({
    issuer: ca.subjectDer,
    subject,
    publicKey,
    extensions,
    validForMs: opts.validForMs ?? 7 * DAY,
    signer: ca.privateKey,
  });
  return {
    certPem: pem('CERTIFICATE', certDer),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
    publicKey,
    subjectDer: subject,
    subjectKeyId: ski,
  };
}

function newKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

function signCertificate(p: {
  issuer: Buffer;
  subject: Buffer;
  publicKey: KeyObject;
  extensions: Buffer[];
  validForMs: number;
  signer: KeyObject;
}): Buffer {
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01; // positive and non-zero, as Go requires
  const now = Date.now();
  const tbs = seq(
    tlv(0xa0, integer(Buffer.from([2]))), // v3
    integer(serial),
    ecdsaWithSha256,
    p.issuer,
    seq(time(new Date(now - 60 * 60 * 1000)), time(new Date(now + p.validForMs))),
    p.subject,
    p.publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(...p.extensions)),
  );
  const signature = sign('sha256', tbs, p.signer); // DER-encoded ECDSA signature
  return seq(tbs, ecdsaWithSha256, bitString(signature));
}

function name(commonName: string, organizations: string[]): Buffer {
  const rdn = (type: string, value: string) => tlv(0x31, seq(oid(type), utf8(value)));
  return seq(...organizations.map((o) => rdn('2.5.4.10', o)), rdn('2.5.4.3', commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

const KEY_USAGE_BITS = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 };

function keyUsage(usages: (keyof typeof KEY_USAGE_BITS)[]): Buffer {
  let byte = 0;
  for (const u of usages) byte |= 0x80 >> KEY_USAGE_BITS[u];
  let unused = 0;
  while (unused < 7 && (byte & (1 << unused)) === 0) unused++;
  return tlv(0x03, Buffer.from([unused, byte]));
}

function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

function ipBytes(ip: string): Buffer {
  if (!isIPv4(ip)) throw new Error(`only IPv4 SANs are supported, got ${ip}`);
  return Buffer.from(ip.split('.').map(Number));
}

function time(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-01-02T03:04:05.678Z
  const digits = iso.slice(0, 19).replace(/[-:T]/g, '');
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050
  return d.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// --- DER primitives ---

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    len = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

function seq(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

function integer(unsignedBigEndian: Buffer): Buffer {
  let i = 0;
  while (i < unsignedBigEndian.length - 1 && unsignedBigEndian[i] === 0) i++;
  const v = unsignedBigEndian.subarray(i);
  return tlv(0x02, (v[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function bool(v: boolean): Buffer {
  return tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
}

function octets(v: Buffer): Buffer {
  return tlv(0x04, v);
}

function bitString(v: Buffer): Buffer {
  return tlv(0x03, Buffer.concat([Buffer.from([0]), v]));
}

function utf8(s: string): Buffer {
  return tlv(0x0c, Buffer.from(s, 'utf8'));
}
