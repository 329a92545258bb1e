import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'fs';
import type { Actor } from '../actor';
import { PersonaValidationError } from '../errors';
import { CliContext, CliFailure, EXIT } from './context';

/** Options of `persona serve`. */
export type ServeOptions = {
  /** TCP port (0: any free one; default 3000). */
  port: number;
  /** Address to listen on (default 127.0.0.1: this machine only). */
  host: string;
  /** A JSON file `[{ token, id, roles? }]`; without it one admin token is made and printed once. */
  users?: string;
};

/** Largest JSON request body `persona serve` accepts (a card PNG in base64 fits). */
/** What a request without a valid token gets, as the API's own 401 (src/nestjs/http.ts). */
const UNAUTHENTICATED_BODY = { statusCode: 401, code: 'UNAUTHENTICATED', message: 'not authenticated: send Authorization: Bearer <token>' };
type UnauthenticatedReply = { setHeader(name: string, value: string): void; status(code: number): { json(body: unknown): void } };

export const SERVE_BODY_LIMIT = '10mb';

/** The actor of the generated admin token. */
export const SERVE_ADMIN: Actor = { id: 'admin', roles: ['admin'] };

/** What `persona serve` needs at run time beyond the package's dependencies: NestJS, as installed by `npm ci` in a clone (devDependencies) or by the host. */
const NEST_PACKAGES = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', '@nestjs/swagger'];

function requireNest(): void {
  const missing = NEST_PACKAGES.filter((name) => {
    try {
      require.resolve(`${name}/package.json`);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new CliFailure(EXIT.usage, `persona serve runs on NestJS, an optional peer dependency: npm install ${missing.join(' ')} (NestJS 11 or 12)`);
  }
}

/** The users of `--users`: read, parsed and validated; any problem stops the server before it starts. */
function readUsers(file: string) {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliFailure(EXIT.refused, `${file}: cannot read: ${(error as Error).message}; not serving`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CliFailure(EXIT.refused, `${file}: (root): not valid JSON: ${(error as Error).message} (isJson); not serving`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { parseTokenUsers } = require('../nestjs/bearer-tokens') as typeof import('../nestjs/bearer-tokens');
  try {
    return parseTokenUsers(parsed);
  } catch (error) {
    if (error instanceof PersonaValidationError) {
      const line = (i: { path: string; message: string; constraint: string }) =>
        `  ${i.path || '(root)'}: ${i.path && i.message.startsWith(`${i.path} `) ? i.message.slice(i.path.length + 1) : i.message} (${i.constraint})`;
      throw new CliFailure(EXIT.refused, `${file}: not a valid users file, not serving:\n${error.issues.map(line).join('\n')}`);
    }
    throw error;
  }
}

/**
 * `persona serve`: the REST API, the admin console at `/console` and the OpenAPI document at
 * `/openapi.json` (Swagger UI at `/openapi`) in one NestJS (Express) process on the command's
 * database. Every API route needs `Authorization: Bearer <token>`; the tokens come from
 * `--users`, else one admin token is generated and printed once. Runs until SIGINT or SIGTERM,
 * then closes the server (in-flight requests finish) and the database, and returns 0.
 */
export async function serve(ctx: CliContext, options: ServeOptions): Promise<number> {
  requireNest();
  const users = options.users ? readUsers(options.users) : undefined;
  // Required only here: the rest of the CLI runs without NestJS installed.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { Module } = require('@nestjs/common') as typeof import('@nestjs/common');
  const { NestFactory } = require('@nestjs/core') as typeof import('@nestjs/core');
  const { ExpressAdapter } = require('@nestjs/platform-express') as typeof import('@nestjs/platform-express');
  const { PersonaModule } = require('../nestjs/persona.module') as typeof import('../nestjs/persona.module');
  const { bearerActorResolver, generateToken } = require('../nestjs/bearer-tokens') as typeof import('../nestjs/bearer-tokens');
  const { securityHeaders } = require('../nestjs/web-assets') as typeof import('../nestjs/web-assets');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const token = users ? undefined : generateToken();
  const resolver = bearerActorResolver(users ?? [{ token: token as string, id: SERVE_ADMIN.id, roles: SERVE_ADMIN.roles }]);
  const dataSource = await ctx.ds();

  class ServeModule {}
  Module({
    imports: [PersonaModule.forRoot({ dataSource, actorResolver: resolver, http: true, console: { auth: 'bearer' }, openapi: { bearer: true } })],
  })(ServeModule);

  const adapter = new ExpressAdapter();
  const express = adapter.getInstance() as { disable(name: string): void; use(...handlers: unknown[]): void; get(path: string, handler: unknown): void };
  express.disable('x-powered-by');
  // First in the chain: every response, the 401s and 404s included, carries the security headers.
  express.use(securityHeaders());
  express.get('/', (_req: unknown, res: { redirect(status: number, url: string): void }) => res.redirect(302, '/console/'));
  // A request with a body and no valid token is answered 401 before its body is read: parsing
  // up to 10 MB of JSON is work only an authenticated caller may make the server do.
  express.use((req: { method: string; headers: Record<string, string | string[] | undefined> }, res: UnauthenticatedReply, next: () => void) => {
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || req.method === 'GET' || req.method === 'HEAD' || resolver(req as never)) return next();
    res.setHeader('Connection', 'close');
    res.status(401).json(UNAUTHENTICATED_BODY);
  });
  let app: INestApplication | undefined;
  try {
    // No CORS: the console is served from this origin; nothing else is meant to call from a browser.
    app = await NestFactory.create(ServeModule, adapter, { cors: false, bodyParser: false, logger: ctx.options.debug ? ['error', 'warn', 'log'] : ['error', 'warn'] });
    (app as unknown as { useBodyParser(type: string, options: object): void }).useBodyParser('json', { limit: SERVE_BODY_LIMIT });
    await app.listen(options.port, options.host);
  } catch (error) {
    await app?.close().catch(() => undefined);
    const e = error as NodeJS.ErrnoException;
    if (['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN'].includes(e?.code ?? '')) {
      throw new CliFailure(EXIT.usage, `cannot listen on ${options.host}:${options.port}: ${e.message}`);
    }
    throw error;
  }
  // Listening for the signals before saying that it serves: a caller may stop it as soon as it reads that.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      ctx.io.err(`persona serve: ${signal}, shutting down`);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  const server: INestApplication = app as INestApplication;
  const address = server.getHttpServer().address() as { address: string; port: number };
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  ctx.io.out(`persona serve: listening on ${url}`);
  ctx.io.out(`  console:  ${url}/console/`);
  ctx.io.out(`  API docs: ${url}/openapi (document: ${url}/openapi.json)`);
  if (token) {
    ctx.io.out(`  admin token: ${token}`);
    ctx.io.out('  (shown once: every request needs "Authorization: Bearer <token>"; restart to get a new one, or pass --users users.json)');
  } else ctx.io.out(`  ${users?.length} user(s) from ${options.users}`);

  await stopped;
  // Stops accepting connections, lets the requests in flight finish, then closes the database (ctx.close).
  await server.close();
  return EXIT.ok;
}
