import { MigrationInterface, QueryRunner } from "typeorm";
import { rebuildRollups } from "../../metrics-rollups";

export class MetricRollups1795628583084 implements MigrationInterface {
    name = 'MetricRollups1795628583084'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_1966236e7bf10a02033b593832"`);
        await queryRunner.query(`DROP INDEX "IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`CREATE TABLE "persona_latency_bins" ("personaId" varchar NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" datetime NOT NULL, "bin" integer NOT NULL, "shard" smallint NOT NULL, "count" bigint NOT NULL, "maxMs" integer NOT NULL, PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "bin", "shard"))`);
        await queryRunner.query(`CREATE TABLE "persona_log_horizons" ("personaId" varchar PRIMARY KEY NOT NULL, "prunedBefore" datetime NOT NULL)`);
        await queryRunner.query(`CREATE TABLE "persona_metric_rollups" ("personaId" varchar NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" datetime NOT NULL, "shard" smallint NOT NULL, "interactions" bigint NOT NULL, "successes" bigint NOT NULL, "inputTokens" bigint NOT NULL, "outputTokens" bigint NOT NULL, "latencySum" bigint NOT NULL, "ratingCount" bigint NOT NULL, "ratingSum" bigint NOT NULL, "lastAt" datetime, PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "shard"))`);
        await queryRunner.query(`CREATE INDEX "IDX_3dd152207c0552e23a30570ff1" ON "persona_interactions" ("at") `);
        await queryRunner.query(`CREATE TABLE "temporary_persona_latency_bins" ("personaId" varchar NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" datetime NOT NULL, "bin" integer NOT NULL, "shard" smallint NOT NULL, "count" bigint NOT NULL, "maxMs" integer NOT NULL, CONSTRAINT "FK_971cbfdebac7e47fb067efeb070" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "bin", "shard"))`);
        await queryRunner.query(`INSERT INTO "temporary_persona_latency_bins"("personaId", "version", "grain", "bucketAt", "bin", "shard", "count", "maxMs") SELECT "personaId", "version", "grain", "bucketAt", "bin", "shard", "count", "maxMs" FROM "persona_latency_bins"`);
        await queryRunner.query(`DROP TABLE "persona_latency_bins"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_latency_bins" RENAME TO "persona_latency_bins"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_log_horizons" ("personaId" varchar PRIMARY KEY NOT NULL, "prunedBefore" datetime NOT NULL, CONSTRAINT "FK_d72c644c40eca81474156531f18" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_log_horizons"("personaId", "prunedBefore") SELECT "personaId", "prunedBefore" FROM "persona_log_horizons"`);
        await queryRunner.query(`DROP TABLE "persona_log_horizons"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_log_horizons" RENAME TO "persona_log_horizons"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_metric_rollups" ("personaId" varchar NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" datetime NOT NULL, "shard" smallint NOT NULL, "interactions" bigint NOT NULL, "successes" bigint NOT NULL, "inputTokens" bigint NOT NULL, "outputTokens" bigint NOT NULL, "latencySum" bigint NOT NULL, "ratingCount" bigint NOT NULL, "ratingSum" bigint NOT NULL, "lastAt" datetime, CONSTRAINT "FK_31550adc04ddfb6d5f35de2e313" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "shard"))`);
        await queryRunner.query(`INSERT INTO "temporary_persona_metric_rollups"("personaId", "version", "grain", "bucketAt", "shard", "interactions", "successes", "inputTokens", "outputTokens", "latencySum", "ratingCount", "ratingSum", "lastAt") SELECT "personaId", "version", "grain", "bucketAt", "shard", "interactions", "successes", "inputTokens", "outputTokens", "latencySum", "ratingCount", "ratingSum", "lastAt" FROM "persona_metric_rollups"`);
        await queryRunner.query(`DROP TABLE "persona_metric_rollups"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_metric_rollups" RENAME TO "persona_metric_rollups"`);
        // The rollups of every event already logged (p95 and series are read from them from now on).
        await rebuildRollups(queryRunner.manager, { lastBefore: new Date(Date.now() + 5 * 60_000) }, { maxLatencyMs: 86_400_000, maxTokens: 10_000_000, minRating: 1, maxRating: 5 });
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "persona_metric_rollups" RENAME TO "temporary_persona_metric_rollups"`);
        await queryRunner.query(`CREATE TABLE "persona_metric_rollups" ("personaId" varchar NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" datetime NOT NULL, "shard" smallint NOT NULL, "interactions" bigint NOT NULL, "successes" bigint NOT NULL, "inputTokens" bigint NOT NULL, "outputTokens" bigint NOT NULL, "latencySum" bigint NOT NULL, "ratingCount" bigint NOT NULL, "ratingSum" bigint NOT NULL, "lastAt" datetime, PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "shard"))`);
        await queryRunner.query(`INSERT INTO "persona_metric_rollups"("personaId", "version", "grain", "bucketAt", "shard", "interactions", "successes", "inputTokens", "outputTokens", "latencySum", "ratingCount", "ratingSum", "lastAt") SELECT "personaId", "version", "grain", "bucketAt", "shard", "interactions", "successes", "inputTokens", "outputTokens", "latencySum", "ratingCount", "ratingSum", "lastAt" FROM "temporary_persona_metric_rollups"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_metric_rollups"`);
        await queryRunner.query(`ALTER TABLE "persona_log_horizons" RENAME TO "temporary_persona_log_horizons"`);
        await queryRunner.query(`CREATE TABLE "persona_log_horizons" ("personaId" varchar PRIMARY KEY NOT NULL, "prunedBefore" datetime NOT NULL)`);
        await queryRunner.query(`INSERT INTO "persona_log_horizons"("personaId", "prunedBefore") SELECT "personaId", "prunedBefore" FROM "temporary_persona_log_horizons"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_log_horizons"`);
        await queryRunner.query(`ALTER TABLE "persona_latency_bins" RENAME TO "temporary_persona_latency_bins"`);
        await queryRunner.query(`CREATE TABLE "persona_latency_bins" ("personaId" varchar NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" datetime NOT NULL, "bin" integer NOT NULL, "shard" smallint NOT NULL, "count" bigint NOT NULL, "maxMs" integer NOT NULL, PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "bin", "shard"))`);
        await queryRunner.query(`INSERT INTO "persona_latency_bins"("personaId", "version", "grain", "bucketAt", "bin", "shard", "count", "maxMs") SELECT "personaId", "version", "grain", "bucketAt", "bin", "shard", "count", "maxMs" FROM "temporary_persona_latency_bins"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_latency_bins"`);
        await queryRunner.query(`DROP INDEX "IDX_3dd152207c0552e23a30570ff1"`);
        await queryRunner.query(`DROP TABLE "persona_metric_rollups"`);
        await queryRunner.query(`DROP TABLE "persona_log_horizons"`);
        await queryRunner.query(`DROP TABLE "persona_latency_bins"`);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions" ("personaId", "latencyMs") `);
        await queryRunner.query(`CREATE INDEX "IDX_1966236e7bf10a02033b593832" ON "persona_interactions" ("personaId", "version", "latencyMs") `);
    }

}
