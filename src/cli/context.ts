import { DataSource } from 'typeorm';
import { Actor } from '../actor';
import { PersonaError, PersonaValidationError } from '../errors';
import { createDataSource } from '../persistence/data-source';

/** Exit codes of the `persona` command (docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** Invalid input or a refused change: validation, version conflict, access, cycle, budget. */
  refused: 1,
  /** Bad command line. */
  usage: 2,
  /** No such persona or template (or not visible to the actor). */
  notFound: 3,
  /** The database could not be opened or queried. */
  database: 4,
  /** Anything else: a bug; run with --debug for the stack. */
  internal: 5,
} as const;

/** Where the command writes; tests and the demo pass their own. */
export type CliIO = {
  out: (text: string) => void;
  err: (text: string) => void;
  /** True when stderr is a terminal (progress bars are drawn only then). */
  isTTY: boolean;
};

/** The options every command takes. */
export type GlobalOptions = { db?: string; url?: string; actor?: string; roles?: string; json?: boolean; debug?: boolean };

/** A command failed in a way already explained to the user. */
export class CliFailure extends Error {
  constructor(readonly exitCode: number, message = '') {
    super(message);
  }
}

/** What a command works with: the options, the actor and a lazily opened data source. */
export class CliContext {
  private dataSource?: DataSource;

  constructor(readonly options: GlobalOptions, readonly io: CliIO) {}

  /** `--actor`, else PERSONA_ACTOR, else `cli` (an empty variable counts as unset); `--roles` (comma-separated), else PERSONA_ROLES. */
  get actor(): Actor {
    const id = this.options.actor || process.env.PERSONA_ACTOR || 'cli';
    const roles = (this.options.roles || process.env.PERSONA_ROLES || '')
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean);
    return roles.length ? { id, roles } : { id };
  }

  /** `--url`/PERSONA_DB_URL selects PostgreSQL; else `--db`/PERSONA_DB, default `personas.db`. */
  async ds(): Promise<DataSource> {
    if (this.dataSource) return this.dataSource;
    const url = this.options.url || process.env.PERSONA_DB_URL || undefined;
    const database = this.options.db || process.env.PERSONA_DB || 'personas.db';
    try {
      this.dataSource = await createDataSource(url ? { url } : { database }).initialize();
    } catch (error) {
      throw new CliFailure(EXIT.database, `cannot open the database ${url ? redact(url) : database}: ${(error as Error).message}`);
    }
    return this.dataSource;
  }

  async close(): Promise<void> {
    if (this.dataSource?.isInitialized) await this.dataSource.destroy();
  }

  /** Prints a value: JSON with --json, else the human form. */
  print(value: unknown, human: () => string): void {
    this.io.out(this.options.json ? JSON.stringify(value, null, 2) : human());
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

/** The exit code and one-line messages for an error; a stack only with --debug. */
export function describeError(error: unknown, debug: boolean): { code: number; lines: string[] } {
  if (error instanceof CliFailure) return { code: error.exitCode, lines: error.message ? [`error: ${error.message}`] : [] };
  if (error instanceof PersonaValidationError) {
    return { code: EXIT.refused, lines: error.issues.map((i) => `error: ${i.path || '(root)'}: ${stripPath(i.message, i.path)} (${i.constraint})`) };
  }
  if (error instanceof PersonaError) {
    const code = error.code === 'PERSONA_NOT_FOUND' ? EXIT.notFound : error.code === 'STORAGE_FAILED' ? EXIT.database : EXIT.refused;
    return { code, lines: [`error: ${error.code}: ${error.message}`, ...(debug ? [error.stack ?? ''] : [])] };
  }
  const e = error as Error;
  const isDb = e?.name === 'QueryFailedError' || /SQLITE_|ECONNREFUSED|database/i.test(e?.message ?? '');
  return { code: isDb ? EXIT.database : EXIT.internal, lines: [`error: ${e?.message ?? String(error)}`, ...(debug ? [e?.stack ?? ''] : ['(run with --debug for details)'])] };
}

function stripPath(message: string, path: string): string {
  return path && message.startsWith(`${path} `) ? message.slice(path.length + 1) : message;
}
