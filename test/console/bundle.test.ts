import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { gzipSync } from 'zlib';

const DIST = join(__dirname, '..', '..', 'dist', 'console');
const index = () => readFileSync(join(DIST, 'index.html'), 'utf8');

/** The console's build (`npm run build` → dist/console), as shipped in the package. */
describe('console build', () => {
  beforeAll(() => {
    if (!existsSync(join(DIST, 'index.html'))) throw new Error('dist/console is missing: run npm run build');
  });

  it('loads only its own files: no inline script or style, nothing from another host', () => {
    const html = index();
    expect(html).toContain('<base href="/console/"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // every script has a src
    expect(html).not.toMatch(/<style|\sstyle="/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('weighs at most 400 KB of JavaScript and CSS, gzipped', () => {
    const assets = [...index().matchAll(/(?:src|href)="\.\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    const gzipped = assets.reduce((sum, file) => sum + gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length, 0);
    expect(gzipped).toBeLessThanOrEqual(400 * 1024);
  });
});
