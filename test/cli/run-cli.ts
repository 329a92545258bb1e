import { spawn, spawnSync } from 'child_process';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** The built command (tests run what users run: dist/, compiled by tsc in `pretest`). */
export const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli', 'main.js');

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs `persona ...args` to completion. */
export function persona(args: string[], env: Record<string, string> = {}, input?: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PERSONA_DB: '', PERSONA_DB_URL: '', PERSONA_ACTOR: '', PERSONA_ROLES: '', ...env },
    input,
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `persona ...args` without waiting. */
export function personaAsync(args: string[]) {
  return spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERSONA_DB: '', PERSONA_DB_URL: '' } });
}

/** A fresh temporary directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'persona-cli-'));
}
