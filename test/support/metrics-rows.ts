import { DataSource } from 'typeorm';

/** The rollup column behind each counter of PersonaMetrics. */
const COLUMN: Record<string, string> = {
  totalInteractions: 'interactions',
  successfulInteractions: 'successes',
  totalInputTokens: 'inputTokens',
  totalOutputTokens: 'outputTokens',
  totalResponseTimeMs: 'latencySum',
  ratingCount: 'ratingCount',
  ratingSum: 'ratingSum',
};

/**
 * Makes a persona's all-time `counter` read `value` (SQL text, so values past 2^53 can be written)
 * by editing its rollup rows by hand, as a drifted or poisoned database would have them.
 */
export async function seedTotal(ds: DataSource, personaId: string, counter: string, value: string): Promise<void> {
  const pg = ds.options.type === 'postgres';
  const ph = (n: number) => (pg ? `$${n}` : '?');
  const column = COLUMN[counter];
  await ds.query(`UPDATE persona_metric_rollups SET "${column}" = 0 WHERE "personaId" = ${ph(1)} AND grain = 0`, [personaId]);
  await ds.query(`DELETE FROM persona_metric_rollups WHERE "personaId" = ${ph(1)} AND grain = 0 AND version = 999999`, [personaId]);
  await ds.query(
    `INSERT INTO persona_metric_rollups ("personaId", version, grain, "bucketAt", shard, interactions, successes, "inputTokens", "outputTokens", "latencySum", "ratingCount", "ratingSum", "lastAt")
     VALUES (${ph(1)}, 999999, 0, ${ph(2)}, 0, 0, 0, 0, 0, 0, 0, 0, NULL)`,
    [personaId, pg ? new Date(0) : '1970-01-01 00:00:00.000'],
  );
  await ds.query(`UPDATE persona_metric_rollups SET "${column}" = ${value} WHERE "personaId" = ${ph(1)} AND grain = 0 AND version = 999999`, [personaId]);
}

/** Empties the log and every rollup. */
export async function clearMetrics(ds: DataSource): Promise<void> {
  for (const t of ['persona_interactions', 'persona_metric_pending', 'persona_metric_rollups', 'persona_latency_bins', 'persona_log_horizons']) await ds.query(`DELETE FROM ${t}`);
}
