/**
 * Safe defaults (issue 18): the daemons listen on loopback unless told otherwise; one that listens
 * beyond it with neither TLS (security.ssl.internal.enabled) nor a token (security.auth.token)
 * logs one warning at start that says what is exposed and which options close it. Whoever reaches
 * such a port can submit a job, which is running code on every TaskManager.
 */
import { isIP } from 'node:net';
import type { Configuration, Logger } from '@eddy/common';
import { AuthOptions, SslOptions } from '@eddy/cluster-common';

/** One port a daemon listens on, and the interface it binds. */
export interface Listener {
  /** What the port serves, e.g. 'RPC (jobmanager.rpc.port)'. */
  readonly what: string;
  readonly bindHost: string;
}

/** Whether `host` reaches only this machine: localhost, 127.0.0.0/8, ::1. A name other than localhost may resolve anywhere. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

/** The listeners beyond loopback that nothing protects; empty when TLS or a token is on, or all are on loopback. */
export function exposedListeners(listeners: readonly Listener[], configuration: Configuration): Listener[] {
  if (configuration.get(SslOptions.internalEnabled) || configuration.get(AuthOptions.token) !== '') return [];
  return listeners.filter((listener) => !isLoopbackHost(listener.bindHost));
}

/** Logs the one warning when `listeners` include exposed ones; says nothing otherwise. */
export function warnIfExposed(component: string, listeners: readonly Listener[], configuration: Configuration, logger: Logger): void {
  const exposed = exposedListeners(listeners, configuration);
  if (exposed.length === 0) return;
  logger.warn(
    {
      component,
      exposed: exposed.map((listener) => `${listener.what} on ${listener.bindHost}`),
      closeWith: [AuthOptions.token.key, SslOptions.internalEnabled.key],
    },
    `The ${component} listens beyond loopback without TLS or an auth token: whoever reaches these ports can submit jobs (run code on every TaskManager), cancel them and read their records; ` +
      `set ${AuthOptions.token.key} (the same on every process; clients set it or EDDY_AUTH_TOKEN) and ${SslOptions.internalEnabled.key}, or bind to 127.0.0.1 (docs/security.md)`,
  );
}
