import { Client } from 'pg';

/**
 * Decides once, before any worker starts, whether the PostgreSQL half of the suite runs.
 * PERSONAS_TEST_PG_URL names the server (default: the local one on 127.0.0.1:5432). Without a
 * reachable server the PostgreSQL half is skipped with a printed line, unless CI=true: then the
 * run fails, so CI can never pass on SQLite alone.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.PERSONAS_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    process.env.PERSONAS_TEST_PG_ACTIVE_URL = url;
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`CI=true but PostgreSQL at ${url} is unreachable: ${(error as Error).message}`);
    }
    process.env.PERSONAS_TEST_PG_ACTIVE_URL = '';
    console.log(`\n[conductor-personas] PostgreSQL at ${url} unreachable (${(error as Error).message}): PostgreSQL tests are skipped.\n`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
