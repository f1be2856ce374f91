import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Configuration } from '@eddy/common';
import { loadInternalTls, loadRestTls, parseFingerprints, TlsConfigurationError } from '../../src/security/tls-material.js';

const GEN_CERTS = fileURLToPath(new URL('../../../../../scripts/gen-certs.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eddy-tls-material-'));
after(() => rmSync(dir, { recursive: true, force: true }));
execFileSync(GEN_CERTS, [dir, '--expired'], { stdio: 'pipe' });
const file = (name: string): string => join(dir, name);

function internal(entries: Record<string, string>): Configuration {
  return Configuration.fromRecord({
    'security.ssl.internal.enabled': 'true',
    'security.ssl.internal.key': file('taskmanager.key'),
    'security.ssl.internal.cert': file('taskmanager.pem'),
    'security.ssl.internal.truststore': file('ca.pem'),
    ...entries,
  });
}

function refusal(configuration: Configuration, pattern: RegExp, load: (configuration: Configuration) => unknown = loadInternalTls): void {
  assert.throws(
    () => load(configuration),
    (error: Error) => {
      assert.ok(error instanceof TlsConfigurationError, `${error.name}: ${error.message}`);
      assert.match(error.message, pattern);
      assert.doesNotMatch(error.message, /MI[A-Za-z0-9+/]{16}/, 'no file contents in the message');
      return true;
    },
  );
}

describe('loading the TLS material', () => {
  it('is off unless security.ssl.internal.enabled is true', () => {
    assert.equal(loadInternalTls(Configuration.fromRecord({ 'security.ssl.internal.key': '/nope' })), undefined);
    assert.equal(loadRestTls(Configuration.empty()), undefined);
  });

  it('reads the key, the certificate and the CA bundle gen-certs.sh writes', () => {
    const tls = loadInternalTls(internal({ 'security.ssl.internal.handshake-timeout': '3 s' }))!;
    assert.equal(new X509Certificate(tls.cert).subject, 'CN=eddy-taskmanager');
    assert.equal(new X509Certificate(tls.ca).subject, 'CN=Eddy cluster CA');
    assert.deepEqual(tls.fingerprints, []);
    assert.equal(tls.handshakeTimeoutMs, 3000);
  });

  it('takes a keystore PEM holding the key and the chain instead of key and cert', () => {
    const keystore = file('keystore.pem');
    writeFileSync(keystore, readFileSync(file('jobmanager.key'), 'utf8') + readFileSync(file('jobmanager.pem'), 'utf8'));
    const tls = loadInternalTls(internal({ 'security.ssl.internal.key': '', 'security.ssl.internal.cert': '', 'security.ssl.internal.keystore': keystore }))!;
    assert.equal(new X509Certificate(tls.cert).subject, 'CN=eddy-jobmanager');
    refusal(internal({ 'security.ssl.internal.keystore': keystore }), /security\.ssl\.internal\.keystore and security\.ssl\.internal\.key\/security\.ssl\.internal\.cert are both set/);
  });

  it('names the option and the path of a missing or unreadable file', () => {
    refusal(internal({ 'security.ssl.internal.cert': file('missing.pem') }), new RegExp(`^security\\.ssl\\.internal\\.cert \\(${file('missing.pem')}\\) cannot be read: there is no such file; set security\\.ssl\\.internal\\.cert to a readable PEM file$`));
    refusal(internal({ 'security.ssl.internal.truststore': '' }), /security\.ssl\.internal\.enabled is true but security\.ssl\.internal\.truststore is not set/);
    refusal(internal({ 'security.ssl.internal.key': '' }), /security\.ssl\.internal\.enabled is true but security\.ssl\.internal\.key is not set/);
    if (process.getuid?.() !== 0) {
      const locked = file('locked.key');
      writeFileSync(locked, readFileSync(file('client.key')));
      chmodSync(locked, 0);
      refusal(internal({ 'security.ssl.internal.key': locked }), /cannot be read: this process may not read it/);
    }
  });

  it('refuses a key that does not belong to the certificate, and a file holding the wrong thing', () => {
    refusal(
      internal({ 'security.ssl.internal.key': file('client.key') }),
      new RegExp(`the private key of security\\.ssl\\.internal\\.key \\(${file('client.key')}\\) does not belong to the certificate of security\\.ssl\\.internal\\.cert \\(${file('taskmanager.pem')}\\)`),
    );
    refusal(internal({ 'security.ssl.internal.key': file('ca.pem') }), /security\.ssl\.internal\.key \(.*ca\.pem\) holds no PEM private key/);
    refusal(internal({ 'security.ssl.internal.truststore': file('client.key') }), /security\.ssl\.internal\.truststore \(.*client\.key\) holds no PEM certificate/);
  });

  it('refuses its own expired certificate, saying when it expired', () => {
    refusal(
      internal({ 'security.ssl.internal.key': file('expired.key'), 'security.ssl.internal.cert': file('expired.pem') }),
      /the certificate of security\.ssl\.internal\.cert \(.*expired\.pem\) expired on 2020-01-31T00:00:00\.000Z; make a new one \(scripts\/gen-certs\.sh\)/,
    );
  });

  it('reads pins as SHA-256 fingerprints with or without colons, and refuses anything else', () => {
    const fingerprint = new X509Certificate(readFileSync(file('jobmanager.pem'))).fingerprint256;
    assert.deepEqual(parseFingerprints(`${fingerprint.replace(/:/g, '').toLowerCase()}; ${fingerprint}`), [fingerprint, fingerprint]);
    refusal(internal({ 'security.ssl.internal.cert.fingerprint': 'AB:CD' }), /security\.ssl\.internal\.cert\.fingerprint: 'AB:CD' is not a SHA-256 fingerprint/);
  });

  it('needs a truststore for REST client authentication only', () => {
    const rest = { 'security.ssl.rest.enabled': 'true', 'security.ssl.rest.key': file('jobmanager.key'), 'security.ssl.rest.cert': file('jobmanager.pem') };
    assert.equal(loadRestTls(Configuration.fromRecord(rest))?.ca, undefined);
    refusal(
      Configuration.fromRecord({ ...rest, 'security.ssl.rest.authentication-enabled': 'true' }),
      /security\.ssl\.rest\.authentication-enabled is true but security\.ssl\.rest\.truststore is not set/,
      loadRestTls,
    );
  });
});
