/**
 * What the TLS tests share: certificates of scripts/gen-certs.sh in a temp directory, the options
 * of a process holding one of them, a GET over HTTPS, and the counts test/streaming/jobs/word-count.ts
 * wrote (the job they run across TaskManagers). Nothing here imports node:test; the
 * caller removes the directory (`certificates.remove()`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GEN_CERTS = fileURLToPath(new URL('../../../scripts/gen-certs.sh', import.meta.url));

export interface TestCertificates {
  readonly dir: string;
  /** The path of a file gen-certs.sh wrote (`ca.pem`, `jobmanager.key`...). */
  file(name: string): string;
  /** The security.ssl.internal.* options of a process holding `name`.pem/.key, trusting the cluster's CA. */
  internalTls(name: string): Record<string, string>;
  remove(): void;
}

/** Runs gen-certs.sh into a new temp directory, with `options` (`--other-ca`, `--expired`...). */
export function generateCertificates(prefix: string, options: readonly string[] = []): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync(GEN_CERTS, [dir, ...options], { stdio: 'pipe' });
  const file = (name: string): string => join(dir, name);
  return {
    dir,
    file,
    internalTls: (name) => ({
      'security.ssl.internal.enabled': 'true',
      'security.ssl.internal.key': file(`${name}.key`),
      'security.ssl.internal.cert': file(`${name}.pem`),
      'security.ssl.internal.truststore': file('ca.pem'),
    }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface HttpsGetOptions {
  /** The CA file to trust. */
  readonly caFile: string;
  /** A client certificate and its key, for servers that ask for one. */
  readonly clientCertificate?: { readonly certFile: string; readonly keyFile: string };
  readonly headers?: Readonly<Record<string, string>>;
  /** Skip the host name check (a server whose certificate names other hosts). */
  readonly anyHostName?: boolean;
}

/** GET `url` over HTTPS; resolves with the status and body, rejects when the connection fails or no answer comes in 10 s. */
export function httpsGet(url: string, options: HttpsGetOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ca: readFileSync(options.caFile),
        headers: { ...options.headers },
        ...(options.anyHostName === true ? { checkServerIdentity: () => undefined } : {}),
        ...(options.clientCertificate === undefined ? {} : { cert: readFileSync(options.clientCertificate.certFile), key: readFileSync(options.clientCertificate.keyFile) }),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.end();
  });
}

/** The final count of each word in the files test/streaming/jobs/word-count.ts wrote to `outputDir` (one `[word, count]` per line, counts rising). */
export function finalWordCounts(outputDir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of readdirSync(outputDir)) {
    for (const line of readFileSync(join(outputDir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      const [word, count] = JSON.parse(line) as [string, number];
      counts.set(word, Math.max(counts.get(word) ?? 0, count));
    }
  }
  return counts;
}
