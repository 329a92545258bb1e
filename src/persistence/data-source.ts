import 'reflect-metadata';
import { DataSource, DataSourceOptions } from 'typeorm';
import { PersonaValidationError, ValidationIssue } from '../errors';
import { setReadYourWritesMs } from './transaction';
import { BehaviorRule } from '../models/behavior-rule.entity';
import { KnowledgeDomain } from '../models/knowledge-domain.entity';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaMetrics } from '../models/persona-metrics.entity';
import { PersonaTemplate } from '../models/persona-template.entity';
import { PersonaTrait } from '../models/persona-trait.entity';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';
import { PersonaInteraction } from '../models/persona-interaction.entity';
import { PersonaRevision } from '../models/persona-revision.entity';
import { PersonaLabelRow } from '../models/persona-label.entity';
import { PersonaLabelMoveRow } from '../models/persona-label-move.entity';
import { PersonaLabelPolicyRow } from '../models/persona-label-policy.entity';
import { PersonaLatencyBin } from '../models/persona-latency-bin.entity';
import { PersonaLogHorizon } from '../models/persona-log-horizon.entity';
import { PersonaMetricPending } from '../models/persona-metric-pending.entity';
import { PersonaMetricRollup } from '../models/persona-metric-rollup.entity';
import { PersonaTagRow } from '../models/persona-tag.entity';

/** Every entity the library persists; hosts that list entities themselves add these. */
export const PERSONA_ENTITIES = [
  PersonaConfiguration,
  PersonaTrait,
  KnowledgeDomain,
  BehaviorRule,
  PersonaTemplate,
  PersonaMetrics,
  PersonaRevision,
  PersonaInteraction,
  PersonaLabelRow,
  PersonaLabelMoveRow,
  PersonaLabelPolicyRow,
  PersonaMetricRollup,
  PersonaLatencyBin,
  PersonaLogHorizon,
  PersonaTagRow,
  PersonaMetricPending,
] as const;

/** The engines the library supports. */
export type PersonaDatabaseType = 'better-sqlite3' | 'postgres';

/** Options of {@link createDataSource}. */
export type PersonaDataSourceOptions = {
  /** `better-sqlite3` (default) or `postgres`. */
  type?: PersonaDatabaseType;
  /** SQLite: a file path (default `personas.db`) or `:memory:`. PostgreSQL: the database name. */
  database?: string;
  /** PostgreSQL connection URL (`postgres://user:pass@host:5432/db`); implies `type: 'postgres'`. */
  url?: string;
  /** PostgreSQL host, port, user and password when no `url` is given. */
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  /** PostgreSQL connection pool size (default 10). */
  poolSize?: number;
  /** Log SQL (TypeORM's `logging`). */
  logging?: boolean;
  /**
   * PostgreSQL: let TypeORM `CREATE EXTENSION pgcrypto` at connect (default true). Not needed on
   * PostgreSQL 13 and later, where `gen_random_uuid()` is built in.
   */
  installExtensions?: boolean;
  /**
   * PostgreSQL read replicas (connection URLs, at most 16; needs `url` for the primary), through
   * TypeORM's replication support: reads outside a transaction go to a replica (TypeORM picks one
   * at random per read), every write and every read inside a write go to the primary, and so do
   * all reads for `readYourWritesMs` after a write through this data source. docs/scaling.md.
   */
  replicas?: string[];
  /** After a write, how long reads stay on the primary so a caller reads what it wrote (ms, 0–60,000; default 1,000). */
  readYourWritesMs?: number;
  /**
   * SQLite: how long a statement waits for another process's lock before failing with SQLITE_BUSY
   * (ms, 0–600,000; default {@link DEFAULT_BUSY_TIMEOUT_MS}). Write transactions begin IMMEDIATE,
   * so writers in separate processes on one file wait for each other up to this long.
   */
  busyTimeoutMs?: number;
};

/** SQLite's default busy timeout, 5 s (better-sqlite3's `timeout`). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Most replicas {@link createDataSource} takes. */
export const MAX_REPLICAS = 16;

function checkReplicas(options: PersonaDataSourceOptions, type: PersonaDatabaseType): void {
  const issues: ValidationIssue[] = [];
  const { replicas, readYourWritesMs } = options;
  if (replicas !== undefined) {
    if (type !== 'postgres') issues.push({ path: 'replicas', constraint: 'postgresOnly', message: 'replicas are for PostgreSQL only' });
    else if (!options.url) issues.push({ path: 'url', constraint: 'isDefined', message: 'give the primary as url when replicas are given' });
    if (!Array.isArray(replicas) || replicas.length > MAX_REPLICAS) issues.push({ path: 'replicas', constraint: 'isArray', message: `replicas must be a list of at most ${MAX_REPLICAS} connection URLs` });
    else replicas.forEach((url, i) => {
      if (typeof url !== 'string' || url.length > 2000 || !/^postgres(?:ql)?:\/\//.test(url)) issues.push({ path: `replicas[${i}]`, constraint: 'isUrl', message: 'a replica is a postgres:// connection URL' });
    });
  }
  const { busyTimeoutMs } = options;
  if (busyTimeoutMs !== undefined) {
    if (type !== 'better-sqlite3') issues.push({ path: 'busyTimeoutMs', constraint: 'sqliteOnly', message: 'busyTimeoutMs is for SQLite only' });
    else if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0 || busyTimeoutMs > 600_000) issues.push({ path: 'busyTimeoutMs', constraint: 'isInt', message: 'busyTimeoutMs must be an integer from 0 to 600,000' });
  }
  if (readYourWritesMs !== undefined && (!Number.isInteger(readYourWritesMs) || readYourWritesMs < 0 || readYourWritesMs > 60_000)) {
    issues.push({ path: 'readYourWritesMs', constraint: 'isInt', message: 'readYourWritesMs must be an integer from 0 to 60,000' });
  }
  if (issues.length) throw new PersonaValidationError(issues, 'options');
}

/** The engine of a data source created by {@link createDataSource} (or any TypeORM data source). */
export function engineOf(dataSource: DataSource): PersonaDatabaseType {
  const type = dataSource.options.type;
  if (type === 'postgres') return 'postgres';
  if (type === 'better-sqlite3') return 'better-sqlite3';
  throw new Error(`conductor-personas supports better-sqlite3 and postgres, not ${type}`);
}

/**
 * PostgreSQL's `timestamp` (TypeORM's default for dates) is read and written in the process's
 * local time zone. Make every date column `timestamptz`, so dates are UTC whatever `TZ` says;
 * SQLite keeps TypeORM's UTC text `datetime`.
 */
export function useUtcTimestamps(dataSource: DataSource): DataSource {
  if (dataSource.options.type !== 'postgres') return dataSource;
  const driver = dataSource.driver as unknown as {
    mappedDataTypes: Record<string, unknown>;
    normalizeType(column: { type?: unknown }): string;
    __personaUtc?: boolean;
  };
  if (driver.__personaUtc) return dataSource;
  driver.mappedDataTypes.createDate = 'timestamptz';
  driver.mappedDataTypes.updateDate = 'timestamptz';
  driver.mappedDataTypes.deleteDate = 'timestamptz';
  const normalizeType = driver.normalizeType.bind(driver);
  driver.normalizeType = (column) =>
    column.type === Date || column.type === 'timestamptz' ? 'timestamp with time zone' : normalizeType(column);
  driver.__personaUtc = true;
  return dataSource;
}

/** The TypeORM options {@link createDataSource} uses; exported for hosts and the TypeORM CLI. */
export function personaDataSourceOptions(options: PersonaDataSourceOptions = {}): DataSourceOptions {
  const type: PersonaDatabaseType = options.type ?? (options.url ? 'postgres' : 'better-sqlite3');
  const common = {
    entities: [...PERSONA_ENTITIES],
    logging: options.logging ?? false,
    migrationsRun: true,
    synchronize: false,
    migrationsTableName: 'persona_migrations',
  };
  checkReplicas(options, type);
  if (type === 'postgres') {
    const replication = options.replicas?.length
      ? // Reads default to the primary: only `reading()` (persistence/transaction.ts) sends work to a replica.
        { replication: { master: { url: options.url }, slaves: options.replicas.map((url) => ({ url })), defaultMode: 'master' as const } }
      : {};
    return {
      ...common,
      ...replication,
      type: 'postgres',
      url: options.url,
      host: options.url ? undefined : (options.host ?? '127.0.0.1'),
      port: options.url ? undefined : (options.port ?? 5432),
      username: options.url ? undefined : (options.username ?? 'postgres'),
      password: options.url ? undefined : options.password,
      database: options.url ? undefined : (options.database ?? 'postgres'),
      uuidExtension: 'pgcrypto',
      installExtensions: options.installExtensions ?? true,
      poolSize: options.poolSize ?? 10,
      migrations: [...POSTGRES_MIGRATIONS],
    };
  }
  return {
    ...common,
    type: 'better-sqlite3',
    database: options.database ?? 'personas.db',
    // WAL lets readers in other processes (the CLI, a dashboard) work while a service writes.
    enableWAL: options.database !== ':memory:',
    // How long a statement waits for another process's lock (transactions begin IMMEDIATE, see transaction.ts).
    timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
    migrations: [...SQLITE_MIGRATIONS],
  };
}

/**
 * A DataSource for the persona entities: better-sqlite3 on `personas.db` by default (WAL mode),
 * PostgreSQL when `type: 'postgres'` or a `url` is given. Not yet initialised; `initialize()`
 * runs the engine's migrations (`migrationsRun: true`, `synchronize: false`) and leaves a ready
 * schema.
 */
export function createDataSource(options: PersonaDataSourceOptions = {}): DataSource {
  const dataSource = useUtcTimestamps(new DataSource(personaDataSourceOptions(options)));
  if (options.replicas?.length) setReadYourWritesMs(dataSource, options.readYourWritesMs ?? 1000);
  return dataSource;
}

/** Runs the pending migrations of an initialised data source; returns the names of those it ran. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  if (!dataSource.isInitialized) await dataSource.initialize();
  const ran = await dataSource.runMigrations({ transaction: 'each' });
  return ran.map((m) => m.name);
}
