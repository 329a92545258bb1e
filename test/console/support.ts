import { ChildProcess, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright's own browser download cannot be reached here. */
export const CHROMIUM = process.env.PERSONAS_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..', '..');

/** The users of the test server: an admin, two plain users, and their tokens. */
export const USERS = {
  admin: { token: 'admin-console-test-token-0001', id: 'admin', roles: ['admin'] },
  alice: { token: 'alice-console-test-token-0002', id: 'alice', roles: [] as string[] },
  bob: { token: 'bob-console-test-token-000003', id: 'bob', roles: [] as string[] },
};
export type UserName = keyof typeof USERS;

/** `persona serve` (the built CLI) on a temporary SQLite database and a free port. */
export type Served = { url: string; stop: () => Promise<void>; api: (user: UserName, method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }> };

export async function startServe(): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'persona-console-'));
  writeFileSync(join(dir, 'users.json'), JSON.stringify(Object.values(USERS)));
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist/src/cli/main.js'), 'serve', '--db', join(dir, 'console.db'), '--port', '0', '--users', join(dir, 'users.json')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(output);
      if (m) resolve(m[1].replace(/\/$/, ''));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => reject(new Error(`persona serve exited with ${code}:\n${output}`)));
  });
  const api: Served['api'] = async (user, method, path, body) => {
    const response = await fetch(url + path, {
      method,
      headers: { Authorization: `Bearer ${USERS[user].token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { url, stop, api };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

/** A page and the errors the browser reported on it (uncaught exceptions, console errors, CSP violations, failed requests). */
export type ConsolePage = { page: Page; context: BrowserContext; errors: string[] };

/**
 * A fresh browser context signed in as `user` (its token put in sessionStorage before any script
 * runs, as the token screen would), at `path` under /console.
 */
export async function openConsole(browser: Browser, served: Served, user: UserName | null, path = '/'): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  if (user) await context.addInitScript((token) => (globalThis as any).sessionStorage.setItem('persona-console.token', token), USERS[user].token);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await page.goto(`${served.url}/console${path}`);
  return { page, context, errors };
}

/**
 * Errors that are the test's own doing, not the console's: the browser logs every 4xx response
 * ("Failed to load resource") although the page handles it, and the tests provoke 400, 409 and 412.
 */
export function unexpectedErrors(errors: string[], expectedStatuses: number[] = []): string[] {
  return errors.filter((e) => !expectedStatuses.some((s) => e.includes(`status of ${s}`)));
}

let axeSource: string | undefined;

/** Runs axe-core in the page (evaluated, not a <script>: the CSP refuses inline scripts) and returns serious and critical violations. */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // Runs in the browser; the test project has no DOM types, hence `globalThis as any`.
    const g = globalThis as any;
    const r: { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] } = await g.axe.run(g.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** With SCREENSHOTS=1 (`npm run screenshots`), saves the page (the window, or all of it) as docs/console/<name>.png. */
export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  if (process.env.SCREENSHOTS !== '1') return;
  mkdirSync(join(ROOT, 'docs', 'console'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs', 'console', `${name}.png`), fullPage });
}
