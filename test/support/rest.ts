import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { PersonaModule } from '../../src/nestjs';

/** The REST API on `ds` (actor from the x-actor-id header), listening on a free local port. */
export async function bootRest(ds: DataSource): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports: [PersonaModule.forRoot({ dataSource: ds, http: true })] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
}

/**
 * Boots the REST API on the suite's data source before its tests and closes it after them; the
 * returned object's `app` and `url` are set once `beforeAll` has run.
 */
export function restPerSuite(ctx: { readonly ds: DataSource }): { app: INestApplication; url: string } {
  const rest = {} as { app: INestApplication; url: string };
  beforeAll(async () => {
    Object.assign(rest, await bootRest(ctx.ds));
  });
  afterAll(async () => {
    await rest.app?.close();
  });
  return rest;
}
