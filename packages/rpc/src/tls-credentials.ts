/**
 * Mutual TLS between a cluster's processes: the material each process holds (its key and
 * certificate, the CA bundle it trusts, optional certificate pins) and the TLS settings built from
 * it, for gRPC channels here and for node:tls sockets (tls-listener.ts, the data plane).
 *
 * Trust is Flink's for internal connections: a peer is trusted when its certificate chains to the
 * truststore (the cluster's own CA) and, when pins are set, its certificate's SHA-256 fingerprint is
 * one of them. Host names are not checked: every process of the cluster holds a certificate of the
 * cluster's CA, and a TaskManager's address is often one it found at start (a container's IP), not
 * a name a certificate could list. Both sides present a certificate: servers require one.
 *
 * The options that fill MutualTls and the loading of the PEM files are cluster-common's
 * (security/ssl-options.ts, security/tls-material.ts).
 */
import type { PeerCertificate, SecureContextOptions } from 'node:tls';
import * as grpc from '@grpc/grpc-js';

export interface MutualTls {
  /** This process's private key (PEM). */
  readonly key: Buffer;
  /** This process's certificate, then any intermediate certificates (PEM). */
  readonly cert: Buffer;
  /** The certificates a peer's chain must end in (PEM). */
  readonly ca: Buffer;
  /** SHA-256 fingerprints a peer's certificate must have, upper-case hex with colons; empty: any the CA signed. */
  readonly fingerprints: readonly string[];
  /** A connection whose TLS handshake takes longer is closed. */
  readonly handshakeTimeoutMs: number;
}

/** The secure context of either side of a connection. */
export function secureContextOptions(tls: MutualTls): SecureContextOptions {
  return { key: tls.key, cert: tls.cert, ca: tls.ca, minVersion: 'TLSv1.2' };
}

/** Why the peer's certificate, which chains to the truststore, is refused anyway (not pinned); undefined when it is accepted. */
export function pinRefusal(tls: MutualTls, certificate: PeerCertificate | undefined): Error | undefined {
  if (tls.fingerprints.length === 0) return undefined;
  const fingerprint = certificate?.fingerprint256;
  if (fingerprint !== undefined && tls.fingerprints.includes(fingerprint.toUpperCase())) return undefined;
  return new Error(
    `the peer's certificate (SHA-256 ${fingerprint ?? 'none'}) is not one of security.ssl.internal.cert.fingerprint`,
  );
}

/**
 * Options of a gRPC channel with channelCredentials: the name sent as SNI. grpc-js would send the
 * host, and an IP address there is deprecated (DEP0123); host names are not checked anyway.
 */
export const TLS_CHANNEL_OPTIONS = { 'grpc.ssl_target_name_override': 'eddy-cluster' } as const;

/** Credentials of a gRPC channel to another process of the cluster: presents this process's certificate, verifies the server's. */
export function channelCredentials(tls: MutualTls): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(tls.ca, tls.key, tls.cert, {
    // Replaces Node's host name check (see the top of this file); the chain was verified already.
    checkServerIdentity: (_host, certificate) => pinRefusal(tls, certificate),
  });
}

/**
 * The words of a handshake that failed before certificates were checked (those are checked after
 * it, see tls-listener.ts): a peer that does not speak TLS, one that took too long, one that hung up.
 */
export function tlsFailureReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'the TLS handshake did not complete in time (security.ssl.internal.handshake-timeout)';
  if (/wrong version number|http request|unknown protocol|packet length too long/i.test(message)) return 'the peer does not speak TLS (its first bytes are no TLS handshake)';
  if (code === 'ECONNRESET' || /socket hang up|disconnected before secure/i.test(message)) {
    return `the peer closed the connection during the handshake: it may not trust this process's certificate (${message})`;
  }
  return message;
}
