import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { createCertificateAuthority, issueCertificate } from '../../stack/pki.ts';

describe('test PKI (X.509 for the control plane)', async () => {
  const ca = await createCertificateAuthority('unit-ca');

  test('the CA is a self-signed CA certificate', () => {
    const cert = new X509Certificate(ca.certPem);
    assert.equal(cert.ca, true);
    assert.equal(cert.subject, 'CN=unit-ca');
    assert.equal(cert.issuer, 'CN=unit-ca');
    assert.ok(cert.verify(ca.publicKey));
  });

  test('a client certificate carries the groups as O and is signed by the CA', async () => {
    const client = await issueCertificate(ca, {
      commonName: 'admin',
      organizations: ['system:masters', 'devs'],
      usage: 'client',
    });
    const cert = new X509Certificate(client.certPem);
    assert.equal(cert.subject, 'O=system:masters\nO=devs\nCN=admin');
    assert.equal(cert.ca, false);
    assert.ok(cert.checkIssued(new X509Certificate(ca.certPem)));
    assert.ok(cert.verify(ca.publicKey));
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']); // extended key usage: clientAuth
    const now = Date.now();
    assert.ok(Date.parse(cert.validFrom) <= now && now < Date.parse(cert.validTo));
    // The key PEM matches the certificate's public key.
    assert.ok(cert.checkPrivateKey(createPrivateKey(client.keyPem)));
  });

  test('a serving certificate names its DNS names and IPs', async () => {
    const serving = await issueCertificate(ca, {
      commonName: 'kube-apiserver',
      usage: 'server',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const cert = new X509Certificate(serving.certPem);
    assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']); // serverAuth
    assert.ok(
      !cert.verify((await createCertificateAuthority('other')).publicKey),
      'not valid under another CA',
    );
  });
});
