/**
 * The JobManager's REST endpoint: Flink's REST API (paths and JSON shapes) over fastify, for
 * browsers and tools; the CLI keeps using the gRPC gateways.
 *
 * Responsibility: serve the routes (one file per group), answer errors in Flink's shape, publish
 * the OpenAPI document generated from the routes' schemas at /openapi.json. Fastify's serializer
 * writes only the fields a route's response schema declares.
 *
 * Threading: handlers run on the JobManager's event loop but never touch an endpoint's state:
 * they ask the Dispatcher and the ResourceManager through their gateways (in-process calls through
 * the same dispatch as remote ones, each with a deadline), so a flood of requests queues in the
 * mailboxes like any other caller and cannot reorder an endpoint's work. A connection cap and a
 * body limit bound what clients can hold.
 *
 * Lifecycle: started by the JobManagerRunner after the Dispatcher; closed before it (open
 * connections are ended).
 */
import swagger from '@fastify/swagger';
import type { Logger } from '@eddy/common';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RestTls } from '@eddy/cluster-common';
import Fastify, { type FastifyError } from 'fastify';
import type { RestApp, RestPlugin, RestServices } from './rest-app.js';
import { registerCheckpointRoutes } from './checkpoint-routes.js';
import { registerClusterRoutes } from './cluster-routes.js';
import { BEARER_SCHEME, registerRestAuth, type RestAuthOptions } from './rest-auth.js';
import { RestHandlerError } from './rest-errors.js';
import { registerJobRoutes } from './job-routes.js';
import { registerSavepointRoutes } from './savepoint-routes.js';
import { SavepointTriggers } from './savepoint-triggers.js';
import { registerTaskManagerRoutes } from './taskmanager-routes.js';
import { registerVertexRoutes } from './vertex-routes.js';

export interface RestServerOptions {
  readonly services: RestServices;
  readonly bindAddress: string;
  readonly port: number;
  /** Host put in the URL the server logs; the bind address when empty. */
  readonly advertisedHost: string;
  readonly maxContentLength: number;
  readonly maxConnections: number;
  readonly plugins?: readonly RestPlugin[];
  /** security.auth.token and security.rest.read-only-anonymous; none: no authentication. */
  readonly auth?: RestAuthOptions;
  /** HTTPS (security.ssl.rest.*), and with `requireClientCertificate` mutual TLS; plain HTTP when absent. */
  readonly https?: RestTls;
}

/** A request's whole body and headers must arrive within this long (slow clients are cut off). */
const REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this long. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Builds the app with every route and the OpenAPI document, without listening (tests use inject). */
export async function buildRestApp(options: Pick<RestServerOptions, 'services' | 'maxContentLength' | 'plugins' | 'auth' | 'https'>): Promise<{ app: RestApp; triggers: SavepointTriggers }> {
  const https = options.https;
  // Fastify types an HTTPS app apart from an HTTP one; the routes see the same requests.
  const httpsOptions: object =
    https === undefined
      ? {}
      : {
          https: {
            key: https.key,
            cert: https.cert,
            minVersion: 'TLSv1.2',
            ...(https.requireClientCertificate ? { ca: https.ca, requestCert: true, rejectUnauthorized: true } : {}),
          },
        };
  const app: RestApp = Fastify({
    ...httpsOptions,
    bodyLimit: options.maxContentLength,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    return503OnClosing: true,
    // Flink accepts paths with a trailing slash.
    routerOptions: { ignoreTrailingSlash: true },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const log = options.services.logger;
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Eddy REST API', version: '1', description: "The JobManager's REST API: Flink's paths and JSON shapes where Eddy has the values (docs/rest.md)." },
      components: {
        securitySchemes: {
          [BEARER_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description:
              "The cluster's security.auth.token, required when the JobManager has one (else 401); " +
              'with security.rest.read-only-anonymous, GET requests need none (docs/security.md).',
          },
        },
      },
      security: [{ [BEARER_SCHEME]: [] }, {}],
    },
  });
  registerRestAuth(app, options.auth ?? { token: '', readOnlyAnonymous: false });
  app.setErrorHandler((error: FastifyError | RestHandlerError, request, reply) => {
    if (error instanceof RestHandlerError) {
      if (error.statusCode >= 500) log.warn({ method: request.method, url: request.url, status: error.statusCode, reason: error.message }, 'REST request failed');
      return reply.code(error.statusCode).send({ errors: [error.message] });
    }
    if (error.validation !== undefined) return reply.code(400).send({ errors: [`Bad request: ${error.message}`] });
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) log.warn({ err: error, method: request.method, url: request.url }, 'REST request failed');
    return reply.code(status).send({ errors: [status === 500 ? `Internal server error: ${error.message}` : error.message] });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ errors: [`Not found: ${request.url.split('?')[0] ?? request.url}`] }));
  const triggers = new SavepointTriggers();
  registerClusterRoutes(app, options.services);
  registerJobRoutes(app, options.services);
  registerVertexRoutes(app, options.services);
  registerCheckpointRoutes(app, options.services);
  registerSavepointRoutes(app, options.services, triggers);
  registerTaskManagerRoutes(app, options.services);
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  for (const plugin of options.plugins ?? []) await plugin(app);
  await app.ready();
  return { app, triggers };
}

export class RestServer {
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly app: RestApp,
    /** The URL the API is served at, e.g. http://127.0.0.1:8081 (https:// with security.ssl.rest.enabled). */
    readonly url: string,
    readonly port: number,
    private readonly logger: Logger,
  ) {}

  static async start(options: RestServerOptions): Promise<RestServer> {
    const { app } = await buildRestApp(options);
    try {
      await app.listen({ host: options.bindAddress, port: options.port });
    } catch (error) {
      await app.close();
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new Error(`The REST API cannot listen on ${options.bindAddress}:${options.port}: the port is in use; set rest.port to a free port (0 picks one)`, { cause: error });
      throw new Error(`The REST API cannot listen on ${options.bindAddress}:${options.port}: ${(error as Error).message}; check rest.bind-address and rest.port`, { cause: error });
    }
    app.server.maxConnections = options.maxConnections;
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.port;
    const host = options.advertisedHost.includes(':') ? `[${options.advertisedHost}]` : options.advertisedHost;
    const scheme = options.https === undefined ? 'http' : 'https';
    const server = new RestServer(app, `${scheme}://${host}:${port}`, port, options.services.logger);
    options.services.logger.info(
      { restAddress: server.url, bindAddress: `${options.bindAddress}:${port}`, maxConnections: options.maxConnections, clientCertificates: options.https?.requireClientCertificate ?? false },
      'REST endpoint started',
    );
    return server;
  }

  /** Stops listening and ends open connections; requests in flight get 503. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.app.server.closeIdleConnections();
      await this.app.close();
      this.logger.info({ restAddress: this.url }, 'REST endpoint stopped');
    })();
    return this.closing;
  }
}
