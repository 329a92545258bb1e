import { existsSync, readFileSync, statSync } from 'fs';
import type { IncomingMessage, ServerResponse } from 'http';
import helmet from 'helmet';
import { dirname, join, resolve } from 'path';
import serveStatic from 'serve-static';

/** A Connect/Express middleware: what `app.use(path, handler)` takes on Express. */
export type Middleware = (req: IncomingMessage & { url?: string; method?: string }, res: ServerResponse, next: (error?: unknown) => void) => void;

/** The root of this package (the folder holding its package.json), from src/ under ts-jest or dist/src once built. */
export function packageRoot(from = __dirname): string {
  let dir = from;
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        if (JSON.parse(readFileSync(file, 'utf8')).name === 'conductor-personas') return dir;
      } catch {
        // not ours; keep looking
      }
    }
    const parent = dirname(dir);
    // Not found (a bundler moved the files): two levels up, where src/ and dist/src/ both sit below.
    if (parent === dir) return resolve(from, '..', '..');
    dir = parent;
  }
}

/** Where the console's build lives: `dist/console/` at the package root (its `index.html` and hashed `assets/`). */
export const CONSOLE_BUILD_DIR = join(packageRoot(), 'dist', 'console');

/**
 * The Content-Security-Policy of `persona serve` and of the console: only this origin's files,
 * no inline script or style, no plug-ins, no framing. `data:`/`blob:` images for charts and
 * previews, `blob:` workers for libraries that start one.
 */
export const CONTENT_SECURITY_POLICY: Readonly<Record<string, string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'worker-src': ["'self'", 'blob:'],
};

/**
 * The security headers (helmet): the CSP above, `X-Frame-Options: DENY`, `nosniff`,
 * `Referrer-Policy: no-referrer`, `Cross-Origin-Opener-Policy: same-origin`. No HSTS: `persona
 * serve` speaks plain HTTP on a local address; put TLS (and HSTS) in front of it.
 */
export function securityHeaders(): Middleware {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { ...CONTENT_SECURITY_POLICY } },
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
  }) as unknown as Middleware;
}

/** A mount path as given by a host: `/console`, `/admin/personas`; refused when it is anything else. */
export function normaliseMountPath(path: string, what: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(trimmed) || trimmed.split('/').some((s) => s === '.' || s === '..')) {
    throw new Error(`${what} must be a path such as /console (letters, digits, . _ ~ - between slashes), got ${JSON.stringify(path)}`);
  }
  return trimmed;
}

/** What the console reads from `<mount>/config.json` at start (see docs/console.md). */
export type ConsoleConfig = {
  /** Base URL of the REST API, ending in `/`. */
  apiBase: string;
  /** `bearer`: the console asks for a token and sends `Authorization: Bearer`; `none`: the host authenticates (e.g. a cookie). */
  auth: 'bearer' | 'none';
  /** Where the OpenAPI document is, when it is served. */
  openapi?: string;
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = 'no-cache'): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', cache);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * What both mounts do first: a method other than GET or HEAD goes on to `next`, and the mount path
 * itself (`/console`) is redirected (308) to it with a slash (`/console/`), so that relative URLs
 * resolve below it. Returns the request's path below the mount (no query) when the caller is to
 * answer, else undefined (already answered or passed on).
 */
function mountedGetPath(req: Parameters<Middleware>[0], res: ServerResponse, next: () => void, mountPath: string): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    next();
    return undefined;
  }
  if ((req as { originalUrl?: string }).originalUrl?.split('?')[0] === mountPath) {
    res.statusCode = 308;
    res.setHeader('Location', `${mountPath}/`);
    res.end();
    return undefined;
  }
  return (req.url ?? '/').split('?')[0];
}

/**
 * Serves the console's build under `mountPath` (to be mounted with `app.use(mountPath, …)`, so
 * that `req.url` is relative to it): files as they are (`assets/` hashed, cached for a year),
 * `config.json` from `config`, and `index.html` (its `<base href="/console/">` rewritten to the
 * mount path) for every other GET, so that client routes load the application.
 */
export function consoleMiddleware(options: { mountPath: string; config: ConsoleConfig; dir?: string }): Middleware {
  const dir = resolve(options.dir ?? CONSOLE_BUILD_DIR);
  const base = `${options.mountPath}/`;
  const configJson = JSON.stringify(options.config);
  let index: string | undefined;
  const indexHtml = (): string | undefined => {
    if (index !== undefined) return index;
    const file = join(dir, 'index.html');
    if (!existsSync(file) || !statSync(file).isFile()) return undefined;
    // `<base href="/console/">` as the build wrote it (`/>` or `>`), pointed at the mount path.
    const html = readFileSync(file, 'utf8').replace(/<base\s+href="\/console\/"\s*\/?>/, `<base href="${base}">`);
    // Cached once read: the build does not change under a running server.
    index = html;
    return html;
  };
  const files = serveStatic(dir, {
    index: false,
    redirect: false,
    dotfiles: 'ignore',
    fallthrough: true,
    setHeaders: (res, path) => {
      const immutable = path.startsWith(join(dir, 'assets') + '/');
      res.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  return (req, res, next) => {
    const path = mountedGetPath(req, res, next, options.mountPath);
    if (path === undefined) return;
    if (path === '/config.json') return send(res, 200, 'application/json; charset=utf-8', configJson);
    const html = indexHtml();
    if (html === undefined) {
      return send(res, 503, 'text/plain; charset=utf-8', 'The admin console is not built: run `npm run build` in the conductor-personas package (it writes dist/console/).\n');
    }
    const fallback = () => send(res, 200, 'text/html; charset=utf-8', html);
    if (path === '/' || path === '/index.html') return fallback();
    files(req as never, res as never, (error?: unknown) => {
      if (error) return next(error);
      // A missing asset is a 404 (a stale tab asking for an old hash); any other path is a client route.
      if (path.startsWith('/assets/') || /\.[A-Za-z0-9]{1,8}$/.test(path)) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      fallback();
    });
  };
}

/** Where swagger-ui-dist's files are (a dependency of @nestjs/swagger). */
function swaggerUiDir(): string {
  const fromSwagger = dirname(require.resolve('@nestjs/swagger/package.json'));
  return dirname(require.resolve('swagger-ui-dist/package.json', { paths: [fromSwagger] }));
}

/**
 * Swagger UI for the document at `documentUrl`, from the files of swagger-ui-dist (no CDN), its
 * start script a file rather than inline so that the strict CSP holds. Mount with
 * `app.use(uiPath, …)`.
 */
export function swaggerUiMiddleware(options: { mountPath: string; documentUrl: string }): Middleware {
  const dir = swaggerUiDir();
  const base = `${options.mountPath}/`;
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<title>conductor-personas API</title>',
    `<base href="${base}">`,
    '<link rel="stylesheet" href="swagger-ui.css">',
    '<link rel="icon" type="image/png" href="favicon-32x32.png">',
    '</head>',
    '<body>',
    '<div id="swagger-ui"></div>',
    '<script src="swagger-ui-bundle.js"></script>',
    '<script src="persona-swagger-init.js"></script>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
  const init = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(options.documentUrl)}, dom_id: '#swagger-ui', deepLinking: true, persistAuthorization: false });\n`;
  const files = serveStatic(dir, { index: false, redirect: false, fallthrough: true, setHeaders: (res) => res.setHeader('Cache-Control', 'public, max-age=3600') });
  const allowed = new Set(['/swagger-ui.css', '/swagger-ui-bundle.js', '/favicon-16x16.png', '/favicon-32x32.png']);
  return (req, res, next) => {
    const path = mountedGetPath(req, res, next, options.mountPath);
    if (path === undefined) return;
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', html);
    if (path === '/persona-swagger-init.js') return send(res, 200, 'text/javascript; charset=utf-8', init);
    if (!allowed.has(path)) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    files(req as never, res as never, (error?: unknown) => (error ? next(error) : send(res, 404, 'text/plain; charset=utf-8', 'not found\n')));
  };
}
