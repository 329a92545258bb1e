import { DataSource } from 'typeorm';
import { PersonaValidationError } from '../errors';
import { INVALIDATION_CHANNEL } from './migrations/postgres/1795629114000-InvalidationNotify';

export { INVALIDATION_CHANNEL };

/** What the listener tells its owner: a persona changed (`'*'`: everything may have), or everything must go (connection lost, or listening again). */
export type InvalidationHandlers = { changed: (personaId: string) => void; flush: () => void };

/** Options of the listener. */
export type InvalidationListenerOptions = {
  /** How often the listening connection is checked with `SELECT 1`, in ms (default 10,000): a connection lost silently is noticed within this. */
  heartbeatMs?: number;
  /** First wait before listening again after a lost connection, in ms (default 100), doubling up to 5,000. */
  retryMs?: number;
};

/** The pieces of a pg pool client the listener uses. */
type ListenClient = {
  query: (sql: string) => Promise<unknown>;
  release: (error?: Error | boolean) => void;
  on: (event: string, listener: (...args: any[]) => void) => unknown;
  removeAllListeners: (event?: string) => unknown;
};

/**
 * `LISTEN conductor_personas_changed` on one dedicated connection taken from the data source's pg
 * pool: the one place below TypeORM that talks to `pg`. It reports every notification; when the
 * connection is lost (an error, its end, or a heartbeat that fails) it says flush, and listens
 * again on a new connection, saying flush once more when it does (what changed meanwhile was
 * never heard). `close()` gives the connection back.
 */
export class InvalidationListener {
  private client: ListenClient | undefined;
  private state: 'starting' | 'listening' | 'waiting' | 'closed' = 'waiting';
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private retryMs: number;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  /** Why listening is impossible (the triggers are missing), once found. */
  private failure: Error | undefined;

  constructor(private readonly dataSource: DataSource, private readonly handlers: InvalidationHandlers, private readonly options: InvalidationListenerOptions = {}) {
    this.retryMs = options.retryMs ?? 100;
  }

  /** True while notifications are being received: only then may anything be cached. */
  get listening(): boolean {
    return this.state === 'listening';
  }

  /** Starts listening (again). */
  start(): void {
    if (this.state !== 'waiting') return;
    this.state = 'starting';
    void this.connect();
  }

  /** Resolves once listening (at once when it is); rejects after `timeoutMs` (default 10 s) or when closed. */
  ready(timeoutMs = 10_000): Promise<void> {
    if (this.listening) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    if (this.state === 'closed') return Promise.reject(new Error('the invalidation listener is closed'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not listening for invalidations after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** Stops listening and gives the connection back to the pool. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.handlers.flush();
    if (client) {
      try {
        await client.query(`UNLISTEN ${INVALIDATION_CHANNEL}`);
        this.giveBack(client);
      } catch (error) {
        this.giveBack(client, error as Error);
      }
    }
  }

  private async connect(): Promise<void> {
    let client: ListenClient;
    try {
      const pool = (this.dataSource.driver as unknown as { master: { connect: () => Promise<ListenClient> } }).master;
      client = await pool.connect();
    } catch {
      return this.again();
    }
    if (this.state === 'closed') return this.giveBack(client);
    let gone = false;
    const lost = (error?: Error) => {
      if (gone) return;
      gone = true;
      this.lost(client, error);
    };
    client.on('notification', (message: { channel: string; payload?: string }) => {
      if (!gone && message.channel === INVALIDATION_CHANNEL) this.handlers.changed(message.payload || '*');
    });
    client.on('error', lost);
    client.on('end', () => lost(new Error('the listening connection ended')));
    let triggers: { rows?: unknown[] };
    try {
      // Without the migration's triggers no write would ever be heard: refuse to cache at all.
      triggers = (await client.query(`SELECT 1 FROM pg_trigger WHERE tgname = 'personas_notify_changed' LIMIT 1`)) as { rows?: unknown[] };
      if (triggers.rows?.length) await client.query(`LISTEN ${INVALIDATION_CHANNEL}`);
    } catch (error) {
      return lost(error as Error);
    }
    if (!triggers.rows?.length) {
      gone = true;
      this.failure = new PersonaValidationError(
        [{ path: 'invalidation', constraint: 'notifyTriggers', message: "invalidation 'notify' needs the triggers of the InvalidationNotify migration: run the migrations (createDataSource does)" }],
        'options',
      );
      this.state = 'closed';
      this.giveBack(client);
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
      return;
    }
    if (gone) return;
    // close() may have run while LISTEN was on its way.
    if ((this.state as string) === 'closed') return this.giveBack(client);
    this.client = client;
    this.state = 'listening';
    this.retryMs = this.options.retryMs ?? 100;
    // Whatever changed before LISTEN took effect was never heard: start from nothing.
    this.handlers.flush();
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: Error) => lost(error));
    }, this.options.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
    for (const w of this.waiters.splice(0)) w.resolve();
  }

  private lost(client: ListenClient, error?: Error): void {
    if (this.client === client) this.client = undefined;
    clearInterval(this.heartbeat);
    this.handlers.flush();
    this.giveBack(client, error ?? new Error('the listening connection was lost'));
    if (this.state === 'closed') return;
    this.again();
  }

  private again(): void {
    if (this.state === 'closed') return;
    this.state = 'waiting';
    this.retry = setTimeout(() => this.start(), this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(this.retryMs * 2, 5_000);
  }

  /** Releases the client to the pool once; with an error the pool destroys it. */
  private giveBack(client: ListenClient, error?: Error): void {
    client.removeAllListeners('notification');
    client.removeAllListeners('end');
    // A client already broken may still emit errors: keep one listener so none is unhandled.
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    try {
      client.release(error ?? false);
    } catch {
      // released already (the pool saw the error first)
    }
  }
}
