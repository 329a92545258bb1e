import { spawnSync } from 'child_process';
import { join } from 'path';

/**
 * The console's API client is typed by console/src/api/openapi.d.ts, generated from the OpenAPI
 * document `persona serve` serves. When a route, parameter or body changes, the generated file
 * must be regenerated (`npm run console:api-types`), so that the console's type check sees it.
 */
describe('console API types', () => {
  it('match the OpenAPI document the server serves', () => {
    const run = spawnSync(process.execPath, [join(__dirname, '..', '..', 'console', 'scripts', 'openapi-types.mjs'), '--check'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr.replace(/persona serve: SIGTERM.*\n?/g, '')).toBe('');
    expect(run.status).toBe(0);
  });
});
