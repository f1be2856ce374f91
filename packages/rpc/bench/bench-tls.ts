/** Mutual TLS for the RPC benchmark's `--tls` comparison: certificates of scripts/gen-certs.sh. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MutualTls } from '../src/index.js';

const GEN_CERTS = fileURLToPath(new URL('../../../../scripts/gen-certs.sh', import.meta.url));

/** A fresh directory of certificates (the caller removes it). */
export function generateBenchCertificates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-rpc-bench-tls-'));
  execFileSync(GEN_CERTS, [dir], { stdio: 'pipe' });
  return dir;
}

/** The TLS material of `name` (jobmanager, taskmanager, client) in `dir`. */
export function benchTls(dir: string, name: string): MutualTls {
  return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.pem`)), ca: readFileSync(join(dir, 'ca.pem')), fingerprints: [], handshakeTimeoutMs: 10_000 };
}
