import type { AbstractHttpAdapter, ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'fs';
import { join } from 'path';
import { describeRoutes, openApiComponents } from './openapi-routes';
import { packageRoot } from './web-assets';

/** What {@link buildOpenApiDocument} reads from the running application. */
export type OpenApiSource = {
  /** Nest's modules (injectable as `ModulesContainer`). */
  modules: ModulesContainer;
  /** The HTTP adapter (from `HttpAdapterHost`). */
  adapter: AbstractHttpAdapter;
  /** Only this module's controllers are described (PersonaModule). */
  moduleClass: unknown;
  /** Declare `Authorization: Bearer` as the way to authenticate (what `persona serve` uses). */
  bearer?: boolean;
};

/**
 * The OpenAPI 3.1 document of the persona REST routes, built by @nestjs/swagger's scanner from
 * the controllers of the running application (so the paths carry the host's global prefix and
 * versioning), with each route's bodies, parameters and errors from `openapi-routes.ts` and the
 * model schemas from the models' own class-validator decorators (through
 * class-validator-jsonschema: the models carry no @nestjs/swagger decorators).
 */
export function buildOpenApiDocument(source: OpenApiSource): OpenAPIObject {
  describeRoutes();
  const first = source.modules.values().next().value as { container?: { applicationConfig?: unknown } } | undefined;
  const container = first?.container;
  // SwaggerModule.createDocument reads these three members of a NestApplication.
  const app = { container, config: container?.applicationConfig, getHttpAdapter: () => source.adapter };
  let builder = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('conductor-personas')
    .setDescription(
      'The REST API of conductor-personas: personas, templates, releases, rendering, metrics, import and export. ' +
        'Errors are JSON `{ statusCode, code, message }`; a 400 carries `issues` with the path and rule of each problem. ' +
        'Writes take the version they are based on in `If-Match` (412 when stale) or `expectedVersion` (409 when stale).',
    )
    .setVersion(packageVersion());
  if (source.bearer) builder = builder.addBearerAuth({ type: 'http', scheme: 'bearer', description: 'a token of --users, or the admin token persona serve printed' }, 'bearer');
  const config = builder.build();
  config.components = { ...config.components, schemas: openApiComponents() };
  const document = SwaggerModule.createDocument(app as never, config, { include: [source.moduleClass as never], operationIdFactory: (controller, method) => `${controller.replace(/Controller$/, '')}_${method}` });
  if (source.bearer) document.security = [{ bearer: [] }];
  return document;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
