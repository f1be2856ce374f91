/**
 * Authentication of REST requests with the cluster's token (security.auth.token): a request must
 * send `Authorization: Bearer <token>`, or it gets 401 in Flink's error shape with a
 * `WWW-Authenticate: Bearer` header, before any route runs. Checked in constant time (AuthTokenCheck).
 *
 * Open without the token: the web dashboard's own files (routes that set `config: { anonymous:
 * true }`), so a browser can load the page that asks for the token; and, with
 * security.rest.read-only-anonymous, every GET (and HEAD). Requests that change something (cancel,
 * stop, savepoints) always need it.
 *
 * Refusals are not logged one by one (a scan would flood the log); the token never is.
 */
import { AuthTokenCheck } from '@eddy/rpc';
import type { RestApp } from './rest-app.js';

export interface RestAuthOptions {
  /** The cluster's token; '' turns authentication off. */
  readonly token: string;
  /** security.rest.read-only-anonymous: GET and HEAD pass without the token. */
  readonly readOnlyAnonymous: boolean;
}

/** What a route sets in its `config` to be served without the token. */
export interface AnonymousRouteConfig {
  readonly anonymous?: boolean;
}

/** The name of the scheme in the OpenAPI document. */
export const BEARER_SCHEME = 'bearerAuth';

/** Adds the check to every route of `app` (registered before the routes). */
export function registerRestAuth(app: RestApp, options: RestAuthOptions): void {
  if (options.token === '') return;
  const check = new AuthTokenCheck(options.token);
  app.addHook('onRequest', async (request, reply) => {
    if ((request.routeOptions.config as AnonymousRouteConfig | undefined)?.anonymous === true) return;
    if (options.readOnlyAnonymous && (request.method === 'GET' || request.method === 'HEAD')) return;
    const header = request.headers.authorization;
    if (check.matchesBearer(header)) return;
    const what = header === undefined ? 'no Authorization header' : 'an Authorization header without the right token';
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="eddy"')
      .send({ errors: [`Unauthorized: the request carried ${what}; send 'Authorization: Bearer <token>' with the cluster's security.auth.token`] });
  });
}
