/**
 * The cluster's token on data connections (security.auth.token without mutual TLS): a consumer's
 * HELLO carries a proof of the token, and a producer TaskManager drops a connection whose HELLO
 * does not, before it serves a byte of any partition. The proof is HMAC-SHA256 of the protocol
 * name keyed by the token, so the token itself never crosses a data connection (it is no secret
 * from whoever reads the connection anyway: without TLS, a data connection is plaintext; with
 * security.ssl.internal.enabled, mutual TLS keeps strangers out first).
 *
 * A refusal is logged once per peer host (the address and why, never a proof or the token).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { OncePerKey, type Logger } from '@eddy/common';
import { DATA_PROTOCOL } from './data-frames.js';

export class DataConnectionAuth {
  readonly #proof: Buffer | undefined;
  readonly #loggedPeers = new OncePerKey();

  /** `token`: security.auth.token ('' for none: every HELLO of the protocol is let in). */
  constructor(
    token: string,
    private readonly logger: Logger,
  ) {
    this.#proof = token === '' ? undefined : createHmac('sha256', token).update(DATA_PROTOCOL, 'utf8').digest();
  }

  /** The HELLO body a consumer sends: the protocol name, then a space and the proof when a token is set. */
  helloBody(): Buffer {
    const protocol = Buffer.from(DATA_PROTOCOL, 'utf8');
    return this.#proof === undefined ? protocol : Buffer.concat([protocol, Buffer.from(` ${this.#proof.toString('hex')}`, 'utf8')]);
  }

  /**
   * Whether a HELLO body `body` of DATA_PROTOCOL may be served; when not, logs the refusal once
   * for `remoteHost`. `body` is known to start with the protocol name.
   */
  admits(body: Buffer, remoteHost: string): boolean {
    if (this.#proof === undefined) return true;
    const presented = body.subarray(Buffer.byteLength(DATA_PROTOCOL) + 1).toString('utf8');
    const proof = /^[0-9a-f]{64}$/.test(presented) ? Buffer.from(presented, 'hex') : undefined;
    if (proof !== undefined && timingSafeEqual(proof, this.#proof)) return true;
    if (this.#loggedPeers.first(remoteHost)) {
      this.logger.warn(
        { remoteAddress: remoteHost, reason: proof === undefined ? 'its HELLO carried no proof of the auth token' : 'its HELLO carried the proof of another token' },
        "Refused a data connection without the cluster's auth token (security.auth.token; logged once per peer host)",
      );
    }
    return false;
  }
}
