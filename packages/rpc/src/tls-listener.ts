/**
 * MutualTlsListener: a node:tls server that completes the handshake of mutual TLS (the peer must
 * present a certificate the truststore's CA signed, and a pinned one when pins are set) before it
 * hands a connection on. The RpcService puts its gRPC server behind one (grpc-js gets the
 * decrypted connection through its connection injector), the data plane its data server.
 *
 * A refused peer is logged once per peer address and reason (not once per attempt: a TaskManager
 * that retries registration every second with a wrong certificate must not flood the log):
 * no certificate, an unknown CA, expired, not pinned, no TLS at all, or a handshake that did not
 * complete within MutualTls.handshakeTimeoutMs.
 *
 * Lifecycle: listen() binds; close() stops accepting and destroys every connection it handed on
 * that is still open.
 */
import type { AddressInfo, Socket } from 'node:net';
import { createServer, type PeerCertificate, type Server, type TLSSocket } from 'node:tls';
import type { Logger } from '@eddy/common';
import { formatHostPort } from './rpc-address.js';
import { pinRefusal, secureContextOptions, tlsFailureReason, type MutualTls } from './tls-credentials.js';

/** Peers (address and reason) remembered as logged; past this many the set starts over (it must not grow without bound). */
const MAX_REMEMBERED_PEERS = 1024;

export interface MutualTlsListenerOptions {
  readonly tls: MutualTls;
  readonly host: string;
  readonly port: number;
  /** What listens, for the log lines ("RPC", "data"). */
  readonly name: string;
  /** ALPN protocols offered (gRPC needs 'h2'). */
  readonly alpnProtocols?: readonly string[];
  readonly logger: Logger;
  /** Gets each connection whose handshake succeeded and whose peer was accepted. */
  readonly onConnection: (socket: TLSSocket) => void;
}

export class MutualTlsListener {
  readonly #server: Server;
  readonly #sockets = new Set<TLSSocket>();
  readonly #refusedPeers = new Set<string>();
  readonly #log: Logger;
  #closing: Promise<void> | undefined;

  private constructor(private readonly options: MutualTlsListenerOptions) {
    this.#log = options.logger;
    const { tls } = options;
    this.#server = createServer(
      {
        ...secureContextOptions(tls),
        requestCert: true,
        // Checked in #accept instead, as Node would (after the handshake, before any byte is
        // read): Node's own refusal closes the socket without saying why.
        rejectUnauthorized: false,
        handshakeTimeout: tls.handshakeTimeoutMs,
        ...(options.alpnProtocols === undefined ? {} : { ALPNProtocols: [...options.alpnProtocols] }),
      },
      (socket) => this.#accept(socket),
    );
    // Node keeps a socket's peer address once asked for it; a handshake that fails by the peer
    // hanging up would otherwise leave the log line without the address.
    this.#server.on('connection', (socket: Socket) => void socket.remoteAddress);
    this.#server.on('tlsClientError', (error, socket) => {
      const transport = transportOf(socket);
      if (transport !== undefined && transport.bytesRead === 0 && (error as NodeJS.ErrnoException).code === 'ECONNRESET') {
        // Connected and left without a byte: a port probe (a TaskManager finding its own address
        // does this), not a refused peer.
        this.#log.debug({ remoteAddress: transport.remoteAddress, listener: options.name }, 'A connection closed before its TLS handshake began');
      } else {
        this.#refused(remoteAddressOf(socket), tlsFailureReason(error));
      }
      socket.destroy();
    });
  }

  /** Binds host:port (port 0 picks a free one). */
  static async listen(options: MutualTlsListenerOptions): Promise<MutualTlsListener> {
    const listener = new MutualTlsListener(options);
    const server = listener.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => listener.#log.error({ err: error, listener: options.name }, 'A TLS listener failed'));
    return listener;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Connections handed on and still open. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Stops accepting and destroys the connections still open. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
      this.#sockets.clear();
    });
    return this.#closing;
  }

  #accept(socket: TLSSocket): void {
    const certificate = socket.getPeerCertificate();
    const refusal = !socket.authorized
      ? certificateRefusal(certificate, socket.authorizationError)
      : pinRefusal(this.options.tls, certificate)?.message;
    if (refusal !== undefined) {
      this.#refused(remoteAddressOf(socket), refusal);
      socket.destroy();
      return;
    }
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    this.options.onConnection(socket);
  }

  #refused(remoteAddress: string | undefined, reason: string): void {
    const peer = remoteAddress ?? 'unknown';
    const seen = `${peer} ${reason}`;
    if (this.#refusedPeers.has(seen)) {
      this.#log.debug({ remoteAddress: peer, reason, listener: this.options.name }, 'Refused a connection at the TLS handshake');
      return;
    }
    if (this.#refusedPeers.size >= MAX_REMEMBERED_PEERS) this.#refusedPeers.clear();
    this.#refusedPeers.add(seen);
    this.#log.warn(
      { remoteAddress: peer, reason, listener: this.options.name, address: formatHostPort(this.options.host, this.port) },
      'Refused a connection at the TLS handshake (logged once per peer address and reason)',
    );
  }
}

/** Why a peer's certificate was refused, from Node's verification code. */
function certificateRefusal(certificate: PeerCertificate, code: Error | string | undefined): string {
  if (certificate === undefined || Object.keys(certificate).length === 0) return 'the peer presented no certificate';
  const reason = String(code ?? 'not verified');
  if (reason === 'CERT_HAS_EXPIRED') return `the peer's certificate (${certificate.subject?.CN ?? 'no CN'}) expired on ${certificate.valid_to} (CERT_HAS_EXPIRED)`;
  if (reason === 'CERT_NOT_YET_VALID') return `the peer's certificate (${certificate.subject?.CN ?? 'no CN'}) is not valid before ${certificate.valid_from} (CERT_NOT_YET_VALID)`;
  return `the peer's certificate (${certificate.subject?.CN ?? 'no CN'}, issued by ${certificate.issuer?.CN ?? 'no CN'}) is not signed by the truststore's CA (${reason})`;
}

/** The TCP socket under a server's TLSSocket (Node keeps it as `_parent`). */
function transportOf(socket: TLSSocket): Socket | undefined {
  return (socket as TLSSocket & { _parent?: Socket })._parent ?? undefined;
}

/** The peer's address; a socket the handshake failed on may have lost its own, its transport still knows it. */
function remoteAddressOf(socket: TLSSocket): string | undefined {
  return socket.remoteAddress ?? transportOf(socket)?.remoteAddress;
}
