/**
 * The DataSource the TypeORM CLI uses (`npx typeorm-ts-node-commonjs -d ormconfig.ts ...`).
 * Engine and target come from the environment, as documented in docs/persistence.md:
 *   PERSONA_DB_URL=postgres://...   PostgreSQL (takes precedence)
 *   PERSONA_DB=path/to/file.db      SQLite file (default personas.db)
 */
import { createDataSource } from './src/persistence/data-source';

const url = process.env.PERSONA_DB_URL;

export default createDataSource(url ? { url } : { database: process.env.PERSONA_DB ?? 'personas.db' });
