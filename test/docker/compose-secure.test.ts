/**
 * docker-compose.secure.yml, checked against docker-compose.yml and the code without a container
 * engine: it overrides only services the base file has; each EDDY_PROPERTIES keeps every line of the
 * base file's and turns mutual TLS on with declared options; every certificate path is a file
 * scripts/gen-certs.sh writes, in the directory the service mounts; and with a directory of real
 * certificates in place of the mount, each service's TLS material loads (key matches certificate,
 * the CA parses). Running the override for real is the Podman test's job.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadInternalTls, SslOptions } from '@eddy/cluster-common';
import { Configuration, loadConfiguration, parseProperties } from '@eddy/common';
import { allRuntimeOptions } from '@eddy/runtime';
import { parse as parseYaml } from 'yaml';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
type Mapping = Record<string, unknown>;
const servicesOf = (file: string): Record<string, Mapping> => (parseYaml(readFileSync(join(repo, file), 'utf8')) as { services: Record<string, Mapping> }).services;
/** Eddy's services in the base file: those outside a profile (`--profile kafka` adds a broker, which the override leaves alone). */
const base = Object.fromEntries(Object.entries(servicesOf('docker-compose.yml')).filter(([, service]) => service['profiles'] === undefined));
const secure = servicesOf('docker-compose.secure.yml');
const propertiesOf = (service: Mapping): string => (service['environment'] as Record<string, string>)['EDDY_PROPERTIES'] ?? '';

/** What gen-certs.sh writes (without its test options). */
const GENERATED = ['ca.pem', 'jobmanager.key', 'jobmanager.pem', 'taskmanager.key', 'taskmanager.pem', 'client.key', 'client.pem'];
const PATH_KEYS = [SslOptions.internalKey.key, SslOptions.internalCert.key, SslOptions.internalTruststore.key];

/** The host directory and the container directory of a service's certificate mount. */
function mountOf(name: string): { host: string; container: string } {
  const volumes = (secure[name]?.['volumes'] ?? []) as string[];
  const mounts = volumes.map((volume) => volume.split(':')).filter(([host]) => host === './certs');
  assert.equal(mounts.length, 1, `${name} mounts ./certs once`);
  const [host, container, mode] = mounts[0]!;
  assert.equal(mode, 'ro', `${name} mounts the certificates read-only`);
  return { host: host!, container: container! };
}

describe('docker-compose.secure.yml', () => {
  it('overrides only services of docker-compose.yml, keeping every line of their EDDY_PROPERTIES', () => {
    assert.deepEqual(Object.keys(secure).sort(), Object.keys(base).sort(), 'every service is secured');
    for (const [name, service] of Object.entries(secure)) {
      const kept = parseProperties(propertiesOf(base[name]!), 'docker-compose.yml');
      const overridden = parseProperties(propertiesOf(service), 'docker-compose.secure.yml');
      for (const [key, value] of kept) assert.equal(overridden.get(key), value, `${name} keeps ${key}: ${value}`);
    }
  });

  it('turns mutual TLS on with declared options, naming files gen-certs.sh writes in the mounted directory', () => {
    for (const [name, service] of Object.entries(secure)) {
      const configuration = loadConfiguration({ environment: { EDDY_PROPERTIES: propertiesOf(service) }, options: allRuntimeOptions() });
      assert.equal(configuration.get(SslOptions.internalEnabled), true, `${name} enables TLS`);
      const { container } = mountOf(name);
      for (const key of PATH_KEYS) {
        const path = configuration.get(allRuntimeOptions().find((option) => option.key === key) as typeof SslOptions.internalKey);
        assert.ok(path.startsWith(`${container}/`), `${name}: ${key} (${path}) is in ${container}`);
        assert.ok(GENERATED.includes(path.slice(container.length + 1)), `${name}: ${key} names a file gen-certs.sh writes`);
      }
    }
  });

  it('gives every service the token from EDDY_AUTH_TOKEN, which compose requires, and serves REST over HTTPS with files gen-certs.sh writes', () => {
    for (const [name, service] of Object.entries(secure)) {
      const token = (service['environment'] as Record<string, string>)['EDDY_AUTH_TOKEN'] ?? '';
      assert.match(token, /^\$\{EDDY_AUTH_TOKEN:\?[^}]+\}$/, `${name} takes the token from the host's EDDY_AUTH_TOKEN and will not start without it`);
      assert.doesNotMatch(propertiesOf(service), /security\.auth\.token/, `${name} holds no token in the file`);
    }
    const jobManager = loadConfiguration({ environment: { EDDY_PROPERTIES: propertiesOf(secure['jobmanager']!) }, options: allRuntimeOptions() });
    assert.equal(jobManager.get(SslOptions.restEnabled), true);
    const { container } = mountOf('jobmanager');
    for (const path of [jobManager.get(SslOptions.restKey), jobManager.get(SslOptions.restCert)]) {
      assert.ok(path.startsWith(`${container}/`) && GENERATED.includes(path.slice(container.length + 1)), `${path} is a file gen-certs.sh writes, mounted`);
    }
  });

  it("loads each service's certificates as gen-certs.sh makes them", () => {
    const certs = mkdtempSync(join(tmpdir(), 'eddy-compose-certs-'));
    after(() => rmSync(certs, { recursive: true, force: true }));
    execFileSync(join(repo, 'scripts/gen-certs.sh'), [certs, '--readable-keys'], { stdio: 'pipe' });
    for (const [name, service] of Object.entries(secure)) {
      const { container } = mountOf(name);
      const properties = Object.fromEntries(
        [...parseProperties(propertiesOf(service), 'docker-compose.secure.yml')].map(([key, value]) => [key, value.startsWith(`${container}/`) ? join(certs, value.slice(container.length + 1)) : value]),
      );
      const tls = loadInternalTls(Configuration.fromRecord(properties));
      assert.ok(tls !== undefined && tls.key.length > 0 && tls.ca.length > 0, `${name} has its TLS material`);
    }
  });
});
