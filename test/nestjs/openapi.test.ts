import SwaggerParser from '@apidevtools/swagger-parser';
import { Controller, Get, INestApplication, Module, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { PERSONA_CONTROLLERS, PersonaModule } from '../../src/nestjs';
import { ROUTE_DOCS } from '../../src/nestjs/openapi-routes';
import { describeEachEngine } from '../support/engines';

type Route = { key: string; method: string; path: string };

/** Every route the controllers declare, read from Nest's own decorator metadata. */
function declaredRoutes(): Route[] {
  const routes: Route[] = [];
  for (const controller of PERSONA_CONTROLLERS) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as unknown as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number].toLowerCase();
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${[base, sub].filter((p) => p && p !== '/').join('/')}`.replace(/:(\w+)/g, '{$1}').replace(/\/$/, '') || '/';
      routes.push({ key: `${controller.name}.${name}`, method, path });
    }
  }
  return routes;
}

/** A host's own controller: must not appear in the document of PersonaModule. */
@Controller('health')
class HostController {
  @Get()
  health() {
    return { ok: true };
  }
}

describeEachEngine('OpenAPI document', (ctx) => {
  let app: INestApplication;
  let doc: { openapi: string; paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; requestBody?: unknown }>>; components: { schemas: Record<string, unknown> } };
  beforeAll(async () => {
    @Module({ imports: [PersonaModule.forRoot({ dataSource: ctx.ds, http: true, openapi: true })], controllers: [HostController] })
    class HostModule {}
    app = await NestFactory.create(HostModule, { logger: false });
    app.setGlobalPrefix('api');
    await app.init();
    doc = (await request(app.getHttpServer()).get('/openapi.json').expect(200)).body;
  });
  afterAll(async () => {
    await app.close();
  });

  it('is a valid OpenAPI 3.1 document (swagger-parser), every $ref resolving', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(JSON.parse(JSON.stringify(doc)))).resolves.toBeDefined();
  });

  it('lists every route the controllers declare, under the host global prefix, and nothing of the host', () => {
    const routes = declaredRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(30);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} /api${r.path}`).sort());
    expect(Object.keys(doc.paths).some((p) => p.includes('health'))).toBe(false);
    for (const required of ['post /api/personas/import', 'get /api/personas/{idOrSlug}/export', 'get /api/personas/{idOrSlug}/diff', 'put /api/personas/{idOrSlug}/policies/{label}', 'get /api/personas/{idOrSlug}/metrics/series']) {
      expect(documented).toContain(required);
    }
  });

  it('describes every route: summary, success, 401, and each error with a schema; 400 with the issues', () => {
    const routes = declaredRoutes();
    expect(routes.map((r) => r.key).sort()).toEqual(Object.keys(ROUTE_DOCS).sort());
    for (const ops of Object.values(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const o = op as unknown as { summary?: string; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> };
        expect([method, o.summary]).toEqual([method, expect.any(String)]);
        expect(o.responses['401']).toBeDefined();
        if (o.responses['400']) expect(o.responses['400'].content?.['application/json'].schema.$ref).toBe('#/components/schemas/ValidationError');
        if (o.responses['412']) expect(o.responses['412'].content?.['application/json'].schema.$ref).toBe('#/components/schemas/ConflictError');
      }
    }
    const patch = doc.paths['/api/personas/{idOrSlug}'].patch as unknown as { responses: Record<string, unknown>; parameters: { name: string; in: string }[] };
    expect(Object.keys(patch.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '412', '503']);
    expect(patch.parameters).toContainEqual(expect.objectContaining({ name: 'If-Match', in: 'header' }));
    const list = doc.paths['/api/personas'].get as unknown as { parameters: { name: string }[] };
    expect(list.parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['search', 'status', 'tag', 'owner', 'limit', 'offset', 'orderBy']));
  });

  it('takes the model schemas from the models own validation decorators', () => {
    const persona = doc.components.schemas.PersonaConfiguration as { properties: Record<string, { maxLength?: number }>; required: string[] };
    expect(persona.required).toEqual(expect.arrayContaining(['name', 'slug']));
    expect(persona.properties.name.maxLength).toBe(100);
    const schemas = doc.components.schemas as Record<string, { properties: Record<string, Record<string, unknown>>; required?: string[] }>;
    expect(schemas.PersonaMetrics.required).toEqual(expect.arrayContaining(['successRate', 'p95ResponseTimeMs', 'averageRating']));
    expect(schemas.Revision.required).toEqual(expect.arrayContaining(['version', 'snapshot']));
    // Free-form objects say so, for generated clients: any keys.
    expect(schemas.Revision.properties.snapshot).toEqual({ type: 'object', additionalProperties: true });
    expect(JSON.stringify(schemas.PersonaConfiguration.properties.metadata)).toContain('"additionalProperties":true');
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['PersonaTrait', 'KnowledgeDomain', 'BehaviorRule', 'PersonaTemplate', 'ValidationError', 'RenderRequest']));
  });

  it('serves Swagger UI beside the document, from local files, with the strict CSP', async () => {
    const ui = await request(app.getHttpServer()).get('/openapi/').expect(200);
    expect(ui.headers['content-security-policy']).toContain("script-src 'self'");
    expect(ui.text).toContain('swagger-ui-bundle.js');
    const init = await request(app.getHttpServer()).get('/openapi/persona-swagger-init.js').expect(200);
    expect(init.text).toContain('"/openapi.json"');
  });
});
