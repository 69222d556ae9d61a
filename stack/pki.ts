// X.509 for the test control plane: a CA, a serving cert and client certs (the group of a
// Kubernetes user is its certificate's O). Built with @peculiar/x509 on Node's WebCrypto.
import { createPublicKey, KeyObject, webcrypto } from 'node:crypto';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export interface Certificate {
  /** PEM "CERTIFICATE" */
  certPem: string;
  /** PEM PKCS#8 "PRIVATE KEY" (ECDSA P-256) */
  keyPem: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The issuing side: used to sign certificates this one issues. */
  readonly signer: { cert: x509.X509Certificate; key: CryptoKey };
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
const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function finish(cert: x509.X509Certificate, keys: CryptoKeyPair): Promise<Certificate> {
  const privateKey = KeyObject.from(keys.privateKey);
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    certPem: cert.toString('pem'),
    keyPem,
    privateKey,
    publicKey: createPublicKey(privateKey),
    signer: { cert, key: keys.privateKey },
  };
}

const validity = (validForMs: number) => {
  const now = Date.now();
  // Backdated a minute: the apiserver and the test may not agree on the second.
  return { notBefore: new Date(now - 60_000), notAfter: new Date(now + validForMs) };
};

const serial = () =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');

/** RFC 4514 names escape commas and the like; group names such as system:masters need none. */
const rdn = (type: string, value: string) => `${type}=${value.replace(/([,+"\\<>;=])/g, '\\$1')}`;

export async function createCertificateAuthority(
  commonName: string,
  validForMs = 7 * DAY,
): Promise<Certificate> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: rdn('CN', commonName),
    ...validity(validForMs),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return finish(cert, keys);
}

export async function issueCertificate(ca: Certificate, opts: IssueOptions): Promise<Certificate> {
  const keys = await newKeys();
  const subject = [...(opts.organizations ?? []).map((o) => rdn('O', o)), rdn('CN', opts.commonName)].join(
    ', ',
  );
  const names = [
    ...(opts.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(opts.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.signer.cert.subject,
    ...validity(opts.validForMs ?? 7 * DAY),
    signingAlgorithm: algorithm,
    publicKey: keys.publicKey,
    signingKey: ca.signer.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [opts.usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth],
        false,
      ),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names, false)] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.signer.cert, false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return finish(cert, keys);
}
