import { MigrationInterface, QueryRunner } from "typeorm";
import { compactRollupShards } from "../../metrics-rollups";

/**
 * The pending queue of MetricsService (an event is one row here until a fold moves it into the log
 * and the rollups), and the rollups of every bucket compacted into shard 0: one folder at a time
 * writes them now, so reads have one row per bucket to sum instead of up to 16.
 */
export class PendingMetrics1795700000000 implements MigrationInterface {
    name = 'PendingMetrics1795700000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "persona_metric_pending" ("seq" bigint NOT NULL, "id" uuid NOT NULL, "personaId" uuid NOT NULL, "version" integer NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL, "outputTokens" bigint NOT NULL, "rating" integer, "at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_06066fb723c15ef801498b5e5bf" PRIMARY KEY ("seq"))`);
        await queryRunner.query(`CREATE INDEX "IDX_9025e5379976d334e2a6a16d11" ON "persona_metric_pending"  ("personaId") `);
        await queryRunner.query(`CREATE SEQUENCE IF NOT EXISTS "persona_metric_pending_seq" AS bigint OWNED BY "persona_metric_pending"."seq"`);
        await compactRollupShards(queryRunner.manager);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_9025e5379976d334e2a6a16d11"`);
        await queryRunner.query(`DROP TABLE "persona_metric_pending"`);
    }

}
