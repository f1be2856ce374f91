/**
 * Reads the PEM files the security.ssl.* options name, once, at a process's start, and checks them
 * before anything listens: each file is readable and holds what its option says, the key belongs
 * to the certificate, the certificate is valid now, the truststore holds certificates, the pins
 * are SHA-256 fingerprints. A problem is a TlsConfigurationError naming the option, the path and
 * what to do. File contents never go into a message or a log line.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigurationError, type Configuration, type ConfigOption } from '@eddy/common';
import type { MutualTls } from '@eddy/rpc';
import { SslOptions } from './ssl-options.js';

/** A TLS option whose file is missing, unreadable, malformed or does not fit the others. */
export class TlsConfigurationError extends ConfigurationError {
  constructor(key: string, message: string, cause?: unknown) {
    super(message, { key, ...(cause === undefined ? {} : { cause }) });
    this.name = 'TlsConfigurationError';
  }
}

/** The REST server's HTTPS material (see loadRestTls). */
export interface RestTls {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** The CA bundle client certificates must chain to; set when clients must present one. */
  readonly ca: Buffer | undefined;
  /** security.ssl.rest.authentication-enabled. */
  readonly requireClientCertificate: boolean;
}

interface PemBlock {
  readonly label: string;
  readonly text: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n[\s\S]*?-----END \1-----/g;
const KEY_LABELS = new Set(['PRIVATE KEY', 'EC PRIVATE KEY', 'RSA PRIVATE KEY']);
const SHA256_HEX = /^[0-9A-F]{64}$/;

/** The mutual TLS of this process, or undefined when security.ssl.internal.enabled is false. Throws TlsConfigurationError. */
export function loadInternalTls(configuration: Configuration): MutualTls | undefined {
  if (!configuration.get(SslOptions.internalEnabled)) return undefined;
  const enabled = SslOptions.internalEnabled.key;
  const { key, cert } = loadKeyAndCert(configuration, enabled, SslOptions.internalKeystore, SslOptions.internalKey, SslOptions.internalCert);
  return {
    key,
    cert,
    ca: loadTruststore(configuration, SslOptions.internalTruststore, `${enabled} is true`),
    fingerprints: parseFingerprints(configuration.get(SslOptions.internalCertFingerprint)),
    handshakeTimeoutMs: configuration.get(SslOptions.internalHandshakeTimeout),
  };
}

/** The REST server's HTTPS material, or undefined when security.ssl.rest.enabled is false. Throws TlsConfigurationError. */
export function loadRestTls(configuration: Configuration): RestTls | undefined {
  if (!configuration.get(SslOptions.restEnabled)) return undefined;
  const { key, cert } = loadKeyAndCert(configuration, SslOptions.restEnabled.key, SslOptions.restKeystore, SslOptions.restKey, SslOptions.restCert);
  const requireClientCertificate = configuration.get(SslOptions.restAuthenticationEnabled);
  return {
    key,
    cert,
    ca: requireClientCertificate ? loadTruststore(configuration, SslOptions.restTruststore, `${SslOptions.restAuthenticationEnabled.key} is true`) : undefined,
    requireClientCertificate,
  };
}

/** Pins in the form Node reports them (upper-case hex with colons). */
export function parseFingerprints(text: string): string[] {
  const key = SslOptions.internalCertFingerprint.key;
  return text
    .split(/[,;\s]+/)
    .filter((part) => part !== '')
    .map((part) => {
      const hex = part.replace(/:/g, '').toUpperCase();
      if (!SHA256_HEX.test(hex)) {
        throw new TlsConfigurationError(key, `${key}: '${part}' is not a SHA-256 fingerprint (64 hex digits, colons optional); print one with: openssl x509 -noout -fingerprint -sha256 -in cert.pem`);
      }
      return hex.match(/../g)!.join(':');
    });
}

function loadKeyAndCert(
  configuration: Configuration,
  enabledKey: string,
  keystoreOption: ConfigOption<string>,
  keyOption: ConfigOption<string>,
  certOption: ConfigOption<string>,
): { key: Buffer; cert: Buffer } {
  const keystorePath = configuration.get(keystoreOption);
  const keyPath = configuration.get(keyOption);
  const certPath = configuration.get(certOption);
  let keyBlock: PemBlock;
  let certBlocks: PemBlock[];
  let keyWhere: string;
  let certWhere: string;
  if (keystorePath !== '') {
    if (keyPath !== '' || certPath !== '') {
      throw new TlsConfigurationError(keystoreOption.key, `${keystoreOption.key} and ${keyOption.key}/${certOption.key} are both set; set either the keystore or the key and the certificate`);
    }
    const blocks = readPem(keystoreOption.key, keystorePath);
    keyBlock = onlyKey(keystoreOption.key, keystorePath, blocks);
    certBlocks = certificates(keystoreOption.key, keystorePath, blocks, 'its certificate chain after the key');
    keyWhere = certWhere = `${keystoreOption.key} (${keystorePath})`;
  } else {
    if (keyPath === '' || certPath === '') {
      const missing = keyPath === '' ? keyOption.key : certOption.key;
      throw new TlsConfigurationError(missing, `${enabledKey} is true but ${missing} is not set; set ${keyOption.key} and ${certOption.key} (or ${keystoreOption.key}) to PEM files (scripts/gen-certs.sh makes them)`);
    }
    keyBlock = onlyKey(keyOption.key, keyPath, readPem(keyOption.key, keyPath));
    certBlocks = certificates(certOption.key, certPath, readPem(certOption.key, certPath), 'a certificate');
    keyWhere = `${keyOption.key} (${keyPath})`;
    certWhere = `${certOption.key} (${certPath})`;
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyBlock.text);
  } catch (error) {
    throw new TlsConfigurationError(keyOption.key, `${keyWhere} does not hold a usable private key: ${(error as Error).message}`, error);
  }
  const leaf = parseCertificate(keystorePath !== '' ? keystoreOption.key : certOption.key, certWhere, certBlocks[0]!);
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new TlsConfigurationError(keyOption.key, `the private key of ${keyWhere} does not belong to the certificate of ${certWhere}; give the key the certificate was made for`);
  }
  checkValidNow(keystorePath !== '' ? keystoreOption.key : certOption.key, certWhere, leaf);
  return { key: Buffer.from(keyBlock.text), cert: Buffer.from(certBlocks.map((block) => block.text).join('\n') + '\n') };
}

function loadTruststore(configuration: Configuration, option: ConfigOption<string>, because: string): Buffer {
  const path = configuration.get(option);
  if (path === '') throw new TlsConfigurationError(option.key, `${because} but ${option.key} is not set; set it to the PEM file of the CA certificates peers' certificates must chain to (ca.pem of scripts/gen-certs.sh)`);
  const where = `${option.key} (${path})`;
  const blocks = certificates(option.key, path, readPem(option.key, path), 'CA certificates');
  for (const block of blocks) parseCertificate(option.key, where, block);
  return Buffer.from(blocks.map((block) => block.text).join('\n') + '\n');
}

function readPem(key: string, path: string): PemBlock[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'this process may not read it' : (error as Error).message;
    throw new TlsConfigurationError(key, `${key} (${path}) cannot be read: ${why}; set ${key} to a readable PEM file`, error);
  }
  return [...text.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1]!, text: match[0] }));
}

function onlyKey(key: string, path: string, blocks: readonly PemBlock[]): PemBlock {
  if (blocks.some((block) => block.label === 'ENCRYPTED PRIVATE KEY')) {
    throw new TlsConfigurationError(key, `${key} (${path}) holds an encrypted private key; give an unencrypted one (openssl pkey -in key.pem -out plain.pem) and protect the file instead`);
  }
  const keys = blocks.filter((block) => KEY_LABELS.has(block.label));
  if (keys.length !== 1) {
    throw new TlsConfigurationError(key, `${key} (${path}) holds ${keys.length === 0 ? 'no' : keys.length} PEM private key${keys.length === 1 ? '' : 's'}; it must hold exactly one (-----BEGIN PRIVATE KEY-----)`);
  }
  return keys[0]!;
}

function certificates(key: string, path: string, blocks: readonly PemBlock[], what: string): PemBlock[] {
  const certs = blocks.filter((block) => block.label === 'CERTIFICATE');
  if (certs.length === 0) throw new TlsConfigurationError(key, `${key} (${path}) holds no PEM certificate (-----BEGIN CERTIFICATE-----); it must hold ${what}`);
  return certs;
}

function parseCertificate(key: string, where: string, block: PemBlock): X509Certificate {
  try {
    return new X509Certificate(block.text);
  } catch (error) {
    throw new TlsConfigurationError(key, `${where} holds a certificate that does not parse: ${(error as Error).message}`, error);
  }
}

function checkValidNow(key: string, where: string, certificate: X509Certificate): void {
  const now = Date.now();
  if (Date.parse(certificate.validTo) < now) {
    throw new TlsConfigurationError(key, `the certificate of ${where} expired on ${new Date(certificate.validTo).toISOString()}; make a new one (scripts/gen-certs.sh) and point ${key} at it`);
  }
  if (Date.parse(certificate.validFrom) > now) {
    throw new TlsConfigurationError(key, `the certificate of ${where} is not valid before ${new Date(certificate.validFrom).toISOString()}; check this machine's clock or the certificate`);
  }
}
