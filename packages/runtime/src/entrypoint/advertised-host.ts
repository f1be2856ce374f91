/**
 * Which address a TaskManager tells others to reach it by, when it listens on every interface and
 * no taskmanager.host is set. Like Flink's connecting-address detection: the local address of a
 * TCP connection to the JobManager is, by construction, one the JobManager's network can route to
 * (a container's address on a compose network, 127.0.0.1 next to a local JobManager).
 */
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { Backoff, type Logger } from '@eddy/common';

export interface DetectOptions {
  /** host:port of the JobManager. */
  readonly jobManagerAddress: string;
  readonly logger: Logger;
  /** Give up on the JobManager after this long and use the first non-loopback interface. */
  readonly maxWaitMs: number;
  /** Deadline of one connection attempt; attempts back off (jittered) from 100 ms up to 5 s apart. */
  readonly attemptTimeoutMs?: number;
}

export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

export async function detectAdvertisedHost(options: DetectOptions): Promise<string> {
  const separator = options.jobManagerAddress.lastIndexOf(':');
  const host = options.jobManagerAddress.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  const port = Number(options.jobManagerAddress.slice(separator + 1));
  const giveUpAt = Date.now() + options.maxWaitMs;
  const backoff = new Backoff({ initialMs: 100, maxMs: 5_000 });
  for (;;) {
    try {
      return await localAddressTowards(host, port, options.attemptTimeoutMs ?? 2000);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const backoffMs = backoff.nextDelayMs();
      if (Date.now() + backoffMs > giveUpAt) {
        const fallback = firstExternalAddress();
        options.logger.warn(
          { jobManager: options.jobManagerAddress, reason, fallback },
          'Could not reach the JobManager to find the address to advertise; advertising the first non-loopback interface (set taskmanager.host to choose)',
        );
        return fallback;
      }
      options.logger.info(
        { jobManager: options.jobManagerAddress, reason, retryInMs: backoffMs },
        'Waiting for the JobManager to find the address to advertise (taskmanager.bind-host is a wildcard and taskmanager.host is empty)',
      );
      await new Promise((resolve) => setTimeout(resolve, backoffMs));
    }
  }
}

function localAddressTowards(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      const local = socket.localAddress;
      socket.destroy();
      if (local === undefined) reject(new Error('the connection has no local address'));
      else resolve(local.startsWith('::ffff:') ? local.slice('::ffff:'.length) : local);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
  });
}

function firstExternalAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const address of addresses ?? []) if (!address.internal && address.family === 'IPv4') return address.address;
  }
  return '127.0.0.1';
}
