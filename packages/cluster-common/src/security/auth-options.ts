/**
 * Client authentication with a shared secret (issue 18): the options that turn it on, read by the
 * daemons (JobManager, TaskManagers: their RpcService and the REST API) and by the client (the
 * `eddy` CLI, JobClient), and how the token is read and checked before anything uses it.
 *
 * The token is a secret: it is never logged, never put into a job's configuration, and shown as
 * HIDDEN_VALUE wherever a configuration is displayed (see isSensitiveKey in @eddy/common).
 */
import { booleanOption, COMMAND_LINE_SOURCE, ConfigurationError, stringOption, type Configuration } from '@eddy/common';

/** The environment variable the `eddy` CLI (and `eddy jobmanager`/`taskmanager`) read the token from when no -D sets it. */
export const AUTH_TOKEN_ENV = 'EDDY_AUTH_TOKEN';

export const AuthOptions = {
  token: stringOption({
    key: 'security.auth.token',
    defaultValue: '',
    description:
      'Shared secret of the cluster. When set on the JobManager and the TaskManagers, every gRPC call into them (from the eddy CLI, ' +
      'between the daemons, blob transfers) must carry it, and every REST request must send `Authorization: Bearer <token>`; ' +
      'others are refused with UNAUTHENTICATED / 401. Clients take the same key or the EDDY_AUTH_TOKEN environment variable. ' +
      'Printable ASCII without spaces; use at least 32 random characters (openssl rand -hex 32). Never logged. Empty: no authentication.',
  }),
  restReadOnlyAnonymous: booleanOption({
    key: 'security.rest.read-only-anonymous',
    defaultValue: false,
    description:
      'With security.auth.token set: let REST GET requests (job lists, details, metrics, the web dashboard) through without the token; ' +
      'requests that change something (cancel, stop, savepoints) still need it. gRPC calls always need the token.',
  }),
} as const;

/** What a token may hold: gRPC metadata and HTTP headers carry printable ASCII; a space would split the Bearer header. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/**
 * The configured token ('' when authentication is off). Throws a ConfigurationError, which names
 * the key and where it was set but never the value, when the token cannot travel in a header.
 */
export function authTokenOf(configuration: Configuration): string {
  const token = configuration.get(AuthOptions.token);
  if (token === '' || TOKEN_PATTERN.test(token)) return token;
  throw new ConfigurationError(
    `${AuthOptions.token.key} (from ${configuration.sourceOf(AuthOptions.token.key)}) holds a space or a character outside printable ASCII; ` +
      'use letters, digits and punctuation only, for example the output of `openssl rand -hex 32`',
    { rawValue: '(hidden)', source: configuration.sourceOf(AuthOptions.token.key) },
  );
}

/**
 * `configuration` with the token from the EDDY_AUTH_TOKEN environment variable when no other
 * source than the config file or EDDY_PROPERTIES set it: -D flags > EDDY_AUTH_TOKEN > EDDY_PROPERTIES > config file.
 */
export function withAuthTokenFromEnvironment(configuration: Configuration, environment: Readonly<Record<string, string | undefined>>): Configuration {
  const fromEnvironment = environment[AUTH_TOKEN_ENV]?.trim() ?? '';
  if (fromEnvironment === '' || configuration.sourceOf(AuthOptions.token.key) === COMMAND_LINE_SOURCE) return configuration;
  return configuration.withOverrides({ [AuthOptions.token.key]: fromEnvironment }, AUTH_TOKEN_ENV);
}
