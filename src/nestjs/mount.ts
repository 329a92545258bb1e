import type { AbstractHttpAdapter, ModulesContainer } from '@nestjs/core';
import type { ServerResponse } from 'http';
import type { PersonaModuleOptions } from './options';
import { consoleMiddleware, Middleware, normaliseMountPath, securityHeaders, swaggerUiMiddleware } from './web-assets';

/** Default mount paths of the console and the OpenAPI document. */
export const DEFAULT_CONSOLE_PATH = '/console';
export const DEFAULT_OPENAPI_PATH = '/openapi.json';

/** The Swagger UI path beside a document path: `/openapi.json` → `/openapi`, `/docs/api` → `/docs/api-ui`. */
export function swaggerUiPath(documentPath: string): string {
  return documentPath.endsWith('.json') ? documentPath.slice(0, -'.json'.length) : `${documentPath}-ui`;
}

/** The resolved console and OpenAPI settings of the module options (paths checked), or undefined for what is off. */
export function webSettings(options: PersonaModuleOptions): {
  console?: { path: string; auth: 'bearer' | 'none'; dir?: string };
  openapi?: { path: string; uiPath?: string; bearer: boolean };
} {
  const out: ReturnType<typeof webSettings> = {};
  if (options.console) {
    const c = options.console === true ? {} : options.console;
    if (c.auth !== undefined && c.auth !== 'bearer' && c.auth !== 'none') throw new Error(`PersonaModule: console.auth must be "bearer" or "none", got ${JSON.stringify(c.auth)}`);
    out.console = { path: normaliseMountPath(c.path ?? DEFAULT_CONSOLE_PATH, 'PersonaModule: console.path'), auth: c.auth ?? 'none', dir: c.dir };
  }
  if (options.openapi) {
    const o = options.openapi === true ? {} : options.openapi;
    const path = normaliseMountPath(o.path ?? DEFAULT_OPENAPI_PATH, 'PersonaModule: openapi.path');
    out.openapi = { path, uiPath: o.ui === false ? undefined : swaggerUiPath(path), bearer: o.bearer ?? out.console?.auth === 'bearer' };
  }
  return out;
}

/** The host's global prefix (`api` → `/api/`), read from Nest's container; `/` without one. */
function apiBase(modules: ModulesContainer): string {
  const first = modules.values().next().value as { container?: { applicationConfig?: { getGlobalPrefix(): string } } } | undefined;
  const prefix = (first?.container?.applicationConfig?.getGlobalPrefix() ?? '').replace(/^\/+|\/+$/g, '');
  return prefix ? `/${prefix}/` : '/';
}

function sendJson(res: ServerResponse, body: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * Mounts the console and the OpenAPI document (as the options ask) on the Express instance of
 * the host's HTTP adapter, each response with the strict security headers. Called by
 * `PersonaModule.onModuleInit`. The document is built on its first request, when every module
 * of the application is in place, and kept.
 */
export function mountWebRoutes(options: PersonaModuleOptions, adapter: AbstractHttpAdapter | undefined, modules: ModulesContainer, moduleClass: unknown): void {
  const settings = webSettings(options);
  if (!adapter) throw new Error('PersonaModule: console and openapi need an HTTP application (NestFactory.create), not an application context');
  if (adapter.getType() !== 'express') throw new Error(`PersonaModule: console and openapi are served on @nestjs/platform-express only (this application uses ${adapter.getType()})`);
  const app = adapter.getInstance() as { use(path: string, ...handlers: Middleware[]): void };
  const headers = securityHeaders();
  if (settings.openapi) {
    try {
      require.resolve('@nestjs/swagger');
    } catch {
      throw new Error('PersonaModule: openapi needs the optional peer dependency @nestjs/swagger (npm install @nestjs/swagger, the major of your @nestjs/core)');
    }
    const { path, uiPath } = settings.openapi;
    let document: string | undefined;
    app.use(path, headers, (req, res, next) => {
      if ((req.method !== 'GET' && req.method !== 'HEAD') || (req.url ?? '/').split('?')[0] !== '/') return next();
      try {
        // Required here: @nestjs/swagger is an optional peer, needed only when the document is served.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { buildOpenApiDocument } = require('./openapi') as typeof import('./openapi');
        document ??= JSON.stringify(buildOpenApiDocument({ modules, adapter, moduleClass, bearer: settings.openapi?.bearer }));
      } catch (error) {
        return next(error);
      }
      sendJson(res, document);
    });
    if (uiPath) app.use(uiPath, headers, swaggerUiMiddleware({ mountPath: uiPath, documentUrl: path }));
  }
  if (settings.console) {
    const { path, auth, dir } = settings.console;
    app.use(path, headers, consoleMiddleware({ mountPath: path, dir, config: { apiBase: apiBase(modules), auth, openapi: settings.openapi?.path } }));
  }
}
