import { MigrationInterface, QueryRunner } from "typeorm";
import { compactRollupShards } from "../../metrics-rollups";

/**
 * The pending queue of MetricsService (an event is one row here until a fold moves it into the log
 * and the rollups), and the rollups of every bucket compacted into shard 0 (one folder at a time
 * writes them now).
 */
export class PendingMetrics1795700000000 implements MigrationInterface {
    name = 'PendingMetrics1795700000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "persona_metric_pending" ("seq" bigint PRIMARY KEY NOT NULL, "id" varchar NOT NULL, "personaId" varchar NOT NULL, "version" integer NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL, "outputTokens" bigint NOT NULL, "rating" integer, "at" datetime NOT NULL)`);
        await queryRunner.query(`CREATE INDEX "IDX_9025e5379976d334e2a6a16d11" ON "persona_metric_pending" ("personaId") `);
        await compactRollupShards(queryRunner.manager);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_9025e5379976d334e2a6a16d11"`);
        await queryRunner.query(`DROP TABLE "persona_metric_pending"`);
    }

}
