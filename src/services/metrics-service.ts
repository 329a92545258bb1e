import { newId } from '../persistence/ids';
import { DataSource, EntityManager } from 'typeorm';
import { PersonaNotFoundError, PersonaValidationError, ValidationIssue } from '../errors';
import { PersonaConfiguration } from '../models/persona-configuration.entity';
import { PersonaMetrics } from '../models/persona-metrics.entity';
import { PersonaInteraction } from '../persistence/persona-interaction.entity';
import { looksLikeId } from '../persistence/persona-rows';
import { inTransaction, reading } from '../persistence/transaction';

/** One interaction of a persona with a user, as `recordInteraction` takes it. */
export type InteractionEvent = {
  success: boolean;
  /** Response latency in milliseconds, ≥ 0 (stored rounded to whole milliseconds). */
  latencyMs: number;
  /** Prompt tokens, integer ≥ 0 (default 0). */
  inputTokens?: number;
  /** Completion tokens, integer ≥ 0 (default 0). */
  outputTokens?: number;
  /** The user's rating, integer 1–5. */
  rating?: number;
  /** When it happened (default now); a Date or ISO 8601 text. */
  at?: Date | string;
};

const EVENT_KEYS = ['success', 'latencyMs', 'inputTokens', 'outputTokens', 'rating', 'at'];

function checkEvent(event: unknown): { success: boolean; latencyMs: number; inputTokens: number; outputTokens: number; rating: number | null; at: Date } {
  const issues: ValidationIssue[] = [];
  const push = (path: string, constraint: string, message: string) => issues.push({ path, constraint, message });
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new PersonaValidationError([{ path: '', constraint: 'isObject', message: 'an interaction must be an object' }], 'interaction');
  }
  const e = event as Record<string, unknown>;
  for (const key of Object.keys(e)) if (!EVENT_KEYS.includes(key)) push(key, 'whitelistValidation', `unknown field "${key}"`);
  if (typeof e.success !== 'boolean') push('success', 'isBoolean', 'success must be a boolean');
  if (typeof e.latencyMs !== 'number' || !Number.isFinite(e.latencyMs) || e.latencyMs < 0) push('latencyMs', 'min', 'latencyMs must be a finite number of at least 0');
  for (const key of ['inputTokens', 'outputTokens']) {
    const v = e[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || (v as number) < 0)) push(key, 'min', `${key} must be an integer of at least 0`);
  }
  if (e.rating !== undefined && e.rating !== null && (!Number.isInteger(e.rating) || (e.rating as number) < 1 || (e.rating as number) > 5)) {
    push('rating', 'isRating', 'rating must be an integer from 1 to 5');
  }
  let at = new Date();
  if (e.at !== undefined) {
    at = e.at instanceof Date ? e.at : typeof e.at === 'string' && /^\d{4}-\d{2}-\d{2}/.test(e.at) ? new Date(e.at) : new Date(NaN);
    if (Number.isNaN(at.getTime())) push('at', 'isDate', 'at must be a Date or ISO 8601 text');
  }
  if (issues.length) throw new PersonaValidationError(issues, 'interaction');
  return {
    success: e.success as boolean,
    latencyMs: Math.round(e.latencyMs as number),
    inputTokens: (e.inputTokens as number | undefined) ?? 0,
    outputTokens: (e.outputTokens as number | undefined) ?? 0,
    rating: (e.rating as number | null | undefined) ?? null,
    at,
  };
}

/**
 * Runtime metrics: an append-only interaction log and aggregate counters kept in step with it by
 * atomic SQL increments in the same transaction; derived figures are computed on read, and
 * `recompute` rebuilds the aggregates from the log.
 */
export class MetricsService {
  constructor(private readonly dataSource: DataSource) {}

  /** Validates and records one interaction; refuses unknown personas and bad numbers. */
  async recordInteraction(personaId: string, event: InteractionEvent): Promise<void> {
    const e = checkEvent(event);
    await inTransaction(this.dataSource, async (manager) => {
      await this.assertPersona(manager, personaId);
      await manager
        .createQueryBuilder()
        .insert()
        .into(PersonaInteraction)
        .values({ id: newId(), personaId, ...e })
        .updateEntity(false)
        .execute();
      const update = () =>
        manager
          .createQueryBuilder()
          .update(PersonaMetrics)
          .set({
            totalInteractions: () => '"totalInteractions" + 1',
            successfulInteractions: () => `"successfulInteractions" + ${e.success ? 1 : 0}`,
            failedInteractions: () => `"failedInteractions" + ${e.success ? 0 : 1}`,
            totalInputTokens: () => '"totalInputTokens" + :inputTokens',
            totalOutputTokens: () => '"totalOutputTokens" + :outputTokens',
            totalResponseTimeMs: () => '"totalResponseTimeMs" + :latencyMs',
            ratingCount: () => `"ratingCount" + ${e.rating === null ? 0 : 1}`,
            ratingSum: () => '"ratingSum" + :rating',
            lastInteractionAt: () => `CASE WHEN "lastInteractionAt" IS NULL OR "lastInteractionAt" < :at THEN :at ELSE "lastInteractionAt" END`,
          })
          .where('personaId = :personaId')
          .setParameters({ personaId, inputTokens: e.inputTokens, outputTokens: e.outputTokens, latencyMs: e.latencyMs, rating: e.rating ?? 0, at: this.dateParam(e.at) })
          .updateEntity(false)
          .execute();
      if (!(await update()).affected) {
        // A persona stored without a metrics row (written by other means): add it, then count.
        await manager.createQueryBuilder().insert().into(PersonaMetrics).values({ personaId }).orIgnore().updateEntity(false).execute();
        await update();
      }
    });
  }

  /** The counters of a persona with the derived figures, p95 latency included. */
  async get(personaId: string): Promise<PersonaMetrics> {
    return reading(this.dataSource, (manager) => this.load(manager, personaId));
  }

  /** Rebuilds the aggregate counters from the interaction log, in one transaction, and returns them. */
  async recompute(personaId: string): Promise<PersonaMetrics> {
    return inTransaction(this.dataSource, async (manager) => {
      await this.assertPersona(manager, personaId);
      const row = await manager
        .getRepository(PersonaInteraction)
        .createQueryBuilder('i')
        .select('COUNT(*)', 'total')
        .addSelect('SUM(CASE WHEN i.success THEN 1 ELSE 0 END)', 'successful')
        .addSelect('SUM(i.inputTokens)', 'input')
        .addSelect('SUM(i.outputTokens)', 'output')
        .addSelect('SUM(i.latencyMs)', 'latency')
        .addSelect('COUNT(i.rating)', 'ratingCount')
        .addSelect('SUM(i.rating)', 'ratingSum')
        .addSelect('MAX(i.at)', 'last')
        .where('i.personaId = :personaId', { personaId })
        .getRawOne<Record<string, unknown>>();
      const n = (v: unknown) => Number(v ?? 0);
      const total = n(row?.total);
      const lastRaw = row?.last;
      const values = {
        totalInteractions: total,
        successfulInteractions: n(row?.successful),
        failedInteractions: total - n(row?.successful),
        totalInputTokens: n(row?.input),
        totalOutputTokens: n(row?.output),
        totalResponseTimeMs: n(row?.latency),
        ratingCount: n(row?.ratingCount),
        ratingSum: n(row?.ratingSum),
        lastInteractionAt: lastRaw == null ? null : this.parseDate(lastRaw),
      };
      await manager.createQueryBuilder().insert().into(PersonaMetrics).values({ personaId }).orIgnore().updateEntity(false).execute();
      await manager.createQueryBuilder().update(PersonaMetrics).set(values as never).where('personaId = :personaId', { personaId }).updateEntity(false).execute();
      return this.load(manager, personaId);
    });
  }

  // ---------------------------------------------------------------------------------------------

  private async assertPersona(manager: EntityManager, personaId: string): Promise<void> {
    const exists =
      typeof personaId === 'string' && looksLikeId(personaId)
        ? await manager.getRepository(PersonaConfiguration).exists({ where: { id: personaId.toLowerCase() } })
        : false;
    if (!exists) throw new PersonaNotFoundError(String(personaId));
  }

  private async load(manager: EntityManager, personaId: string): Promise<PersonaMetrics> {
    await this.assertPersona(manager, personaId);
    const id = personaId.toLowerCase();
    const metrics = (await manager.getRepository(PersonaMetrics).findOne({ where: { personaId: id } })) ?? Object.assign(new PersonaMetrics(), { personaId: id });
    metrics.p95ResponseTimeMs = await this.p95(manager, id, metrics.totalInteractions);
    return metrics;
  }

  /** Nearest-rank 95th percentile: the ⌈0.95·n⌉-th smallest latency, read through the (personaId, latencyMs) index. */
  private async p95(manager: EntityManager, personaId: string, count: number): Promise<number | null> {
    if (!count) return null;
    const rank = Math.ceil(0.95 * count);
    const row = await manager
      .getRepository(PersonaInteraction)
      .createQueryBuilder('i')
      .select('i.latencyMs', 'latency')
      .where('i.personaId = :personaId', { personaId })
      .orderBy('i.latencyMs', 'ASC')
      .offset(rank - 1)
      .limit(1)
      .getRawOne<{ latency: unknown }>();
    return row ? Number(row.latency) : null;
  }

  /** Dates as SQL parameters: PostgreSQL takes a Date; SQLite compares TypeORM's UTC text. */
  private dateParam(date: Date): Date | string {
    if (this.dataSource.options.type === 'postgres') return date;
    return date.toISOString().replace('T', ' ').replace('Z', '');
  }

  private parseDate(raw: unknown): Date {
    if (raw instanceof Date) return raw;
    const text = String(raw);
    return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  }
}
