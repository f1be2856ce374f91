/**
 * TLS options: Flink's `security.ssl.internal.*` (mutual TLS between the cluster's processes: gRPC
 * and the data plane) and `security.ssl.rest.*` (HTTPS for the REST API), with PEM files where
 * Flink takes Java keystores. Read by tls-material.ts for the JobManager, the TaskManagers and the
 * eddy CLI, which need the same values (docs/security.md).
 */
import { booleanOption, durationOption, stringOption } from '@eddy/common';

export const SslOptions = {
  internalEnabled: booleanOption({
    key: 'security.ssl.internal.enabled',
    defaultValue: false,
    description:
      'Mutual TLS for every connection between the processes of the cluster: gRPC (JobManager, TaskManagers, blob transfers, the eddy CLI) and the ' +
      'TaskManagers\' data connections. Each side presents security.ssl.internal.cert and accepts only a peer whose certificate the truststore\'s CA signed. ' +
      'Set it, with the same CA, on every process and the CLI.',
  }),
  internalKeystore: stringOption({
    key: 'security.ssl.internal.keystore',
    defaultValue: '',
    description:
      "A PEM file holding this process's private key and its certificate chain (the key, then the certificate, then any intermediates): " +
      'an alternative to security.ssl.internal.key with security.ssl.internal.cert.',
  }),
  internalKey: stringOption({
    key: 'security.ssl.internal.key',
    defaultValue: '',
    description: "PEM file of this process's private key (unencrypted), for mutual TLS. The file's contents are never logged.",
  }),
  internalCert: stringOption({
    key: 'security.ssl.internal.cert',
    defaultValue: '',
    description: "PEM file of this process's certificate, followed by any intermediate certificates, for mutual TLS.",
  }),
  internalTruststore: stringOption({
    key: 'security.ssl.internal.truststore',
    defaultValue: '',
    description:
      "PEM file of the CA certificates a peer's certificate must chain to (the cluster's CA; scripts/gen-certs.sh makes one). " +
      'A self-signed certificate can be its own truststore; pin it with security.ssl.internal.cert.fingerprint.',
  }),
  internalCertFingerprint: stringOption({
    key: 'security.ssl.internal.cert.fingerprint',
    defaultValue: '',
    description:
      "SHA-256 fingerprints (hex, colons optional, separated by commas or semicolons) of the only certificates a peer may present, checked after the truststore's CA: " +
      'narrows trust to these certificates when the CA signs more than this cluster\'s. Empty: any certificate the CA signed. ' +
      '`openssl x509 -noout -fingerprint -sha256 -in cert.pem` prints one.',
  }),
  internalHandshakeTimeout: durationOption({
    key: 'security.ssl.internal.handshake-timeout',
    defaultMs: 10_000,
    minMs: 1,
    description: 'A connection to the RPC port whose TLS handshake does not complete within this long is closed.',
  }),
  restEnabled: booleanOption({
    key: 'security.ssl.rest.enabled',
    defaultValue: false,
    description: "HTTPS for the JobManager's REST API (and the web dashboard), with security.ssl.rest.key and security.ssl.rest.cert.",
  }),
  restKeystore: stringOption({
    key: 'security.ssl.rest.keystore',
    defaultValue: '',
    description: "A PEM file holding the REST server's private key and its certificate chain: an alternative to security.ssl.rest.key with security.ssl.rest.cert.",
  }),
  restKey: stringOption({
    key: 'security.ssl.rest.key',
    defaultValue: '',
    description: "PEM file of the REST server's private key (unencrypted).",
  }),
  restCert: stringOption({
    key: 'security.ssl.rest.cert',
    defaultValue: '',
    description: "PEM file of the REST server's certificate, followed by any intermediate certificates.",
  }),
  restTruststore: stringOption({
    key: 'security.ssl.rest.truststore',
    defaultValue: '',
    description: 'PEM file of the CA certificates a REST client\'s certificate must chain to; needed with security.ssl.rest.authentication-enabled.',
  }),
  restAuthenticationEnabled: booleanOption({
    key: 'security.ssl.rest.authentication-enabled',
    defaultValue: false,
    description:
      'The REST API requires a client certificate that security.ssl.rest.truststore\'s CA signed (mutual TLS); a client without one is refused at the handshake.',
  }),
} as const;
