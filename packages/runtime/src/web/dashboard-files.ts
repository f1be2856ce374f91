/**
 * The web dashboard's files, as the REST server serves them at `/`: index.html and the hashed
 * assets `npm run build` writes to packages/web-dashboard/dist (Vite). They are read once when the
 * server starts (about 150 KB) and kept in memory, with a gzip copy made at the first request that
 * accepts one (so a JobManager nobody browses, a local run or a test's, pays nothing for it). A
 * request never touches the disk, and a path can only name a file that was there at start: no
 * traversal, no directory listing.
 *
 * Framework-free on purpose: the REST server's hook turns `respond()` into its reply.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Files smaller than this are sent as they are: gzip would save next to nothing. */
const GZIP_MIN_BYTES = 1024;

interface DashboardFile {
  readonly body: Buffer;
  /** Made on first use, for files of GZIP_MIN_BYTES or more. */
  gzip: Buffer | undefined;
  readonly contentType: string;
  readonly etag: string;
  /** Vite names assets by their content's hash: they never change under one name. */
  readonly immutable: boolean;
}

export interface DashboardResponse {
  readonly status: 200 | 304;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

/** The directory `npm run build` writes the dashboard to, or undefined when @eddy/web-dashboard is not installed. */
export function defaultDashboardDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@eddy/web-dashboard/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

const NOT_BUILT_PAGE = (dir: string | undefined) =>
  Buffer.from(
    '<!doctype html><meta charset="utf-8"><title>Eddy</title>' +
      '<p>The web dashboard is not built' +
      (dir === undefined ? ' (the @eddy/web-dashboard package is not installed)' : ` (no index.html in ${escapeHtml(dir)})`) +
      '. Run <code>npm run build</code> in the Eddy checkout and restart the JobManager. The REST API answers meanwhile, for example at <a href="overview">/overview</a>.</p>\n',
  );

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

export class DashboardFiles {
  private constructor(
    private readonly files: ReadonlyMap<string, DashboardFile>,
    /** Undefined when the dashboard is built; else the directory that lacks it, for the log line. */
    readonly missingFrom: string | undefined,
    readonly totalBytes: number,
  ) {}

  /**
   * Reads the built dashboard in `dir`. Without an index.html there (the dashboard not built),
   * `/` answers a page that says so and how to build it; nothing else is served.
   */
  static load(dir: string | undefined = defaultDashboardDir()): DashboardFiles {
    if (dir === undefined || !existsSync(join(dir, 'index.html'))) {
      const page = NOT_BUILT_PAGE(dir);
      return new DashboardFiles(new Map([['/', fileOf(page, '.html', false)]]), dir ?? '@eddy/web-dashboard', 0);
    }
    const files = new Map<string, DashboardFile>();
    let total = 0;
    for (const path of listFiles(dir)) {
      const body = readFileSync(path);
      total += body.length;
      const urlPath = `/${relative(dir, path).split(sep).join('/')}`;
      files.set(urlPath, fileOf(body, extname(path), urlPath.startsWith('/assets/')));
    }
    const index = files.get('/index.html');
    if (index !== undefined) files.set('/', index);
    return new DashboardFiles(files, undefined, total);
  }

  /** True when `urlPath` (the request's path, without its query) names a dashboard file. */
  has(urlPath: string): boolean {
    return this.files.has(urlPath);
  }

  /** The paths served, for the REST server to register; `/` among them. */
  paths(): string[] {
    return [...this.files.keys()];
  }

  /**
   * The answer for a GET of `urlPath`, or undefined when it is no dashboard file (the caller
   * answers 404 as for any unknown path). Honours If-None-Match and gzip in Accept-Encoding.
   */
  respond(urlPath: string, requestHeaders: { readonly 'accept-encoding'?: string | undefined; readonly 'if-none-match'?: string | undefined }): DashboardResponse | undefined {
    const file = this.files.get(urlPath);
    if (file === undefined) return undefined;
    const headers: Record<string, string> = {
      'content-type': file.contentType,
      etag: file.etag,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      vary: 'accept-encoding',
      'x-content-type-options': 'nosniff',
    };
    if (requestHeaders['if-none-match'] === file.etag) return { status: 304, headers, body: undefined };
    if (file.body.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(requestHeaders['accept-encoding'] ?? '')) {
      file.gzip ??= gzipSync(file.body);
      return { status: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: file.gzip };
    }
    return { status: 200, headers, body: file.body };
  }
}

function fileOf(body: Buffer, extension: string, immutable: boolean): DashboardFile {
  const contentType = CONTENT_TYPES[extension] ?? 'application/octet-stream';
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  return { body, gzip: undefined, contentType, etag, immutable };
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}
