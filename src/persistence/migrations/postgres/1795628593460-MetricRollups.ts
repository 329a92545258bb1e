import { MigrationInterface, QueryRunner } from "typeorm";
import { rebuildRollups } from "../../metrics-rollups";

export class MetricRollups1795628593460 implements MigrationInterface {
    name = 'MetricRollups1795628593460'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_1966236e7bf10a02033b593832"`);
        await queryRunner.query(`CREATE TABLE "persona_latency_bins" ("personaId" uuid NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" TIMESTAMP WITH TIME ZONE NOT NULL, "bin" integer NOT NULL, "shard" smallint NOT NULL, "count" bigint NOT NULL, "maxMs" integer NOT NULL, CONSTRAINT "PK_3e7d1844e6b12eb0b4fd398983d" PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "bin", "shard"))`);
        await queryRunner.query(`CREATE TABLE "persona_log_horizons" ("personaId" uuid NOT NULL, "prunedBefore" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d72c644c40eca81474156531f18" PRIMARY KEY ("personaId"))`);
        await queryRunner.query(`CREATE TABLE "persona_metric_rollups" ("personaId" uuid NOT NULL, "version" integer NOT NULL, "grain" smallint NOT NULL, "bucketAt" TIMESTAMP WITH TIME ZONE NOT NULL, "shard" smallint NOT NULL, "interactions" bigint NOT NULL, "successes" bigint NOT NULL, "inputTokens" bigint NOT NULL, "outputTokens" bigint NOT NULL, "latencySum" bigint NOT NULL, "ratingCount" bigint NOT NULL, "ratingSum" bigint NOT NULL, "lastAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_76a5423a468b67fa209cfb6635f" PRIMARY KEY ("personaId", "grain", "bucketAt", "version", "shard"))`);
        await queryRunner.query(`CREATE INDEX "IDX_3dd152207c0552e23a30570ff1" ON "persona_interactions"  ("at") `);
        await queryRunner.query(`ALTER TABLE "persona_latency_bins" ADD CONSTRAINT "FK_971cbfdebac7e47fb067efeb070" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_log_horizons" ADD CONSTRAINT "FK_d72c644c40eca81474156531f18" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_metric_rollups" ADD CONSTRAINT "FK_31550adc04ddfb6d5f35de2e313" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        // The rollups of every event already logged (p95 and series are read from them from now on).
        await rebuildRollups(queryRunner.manager, { lastBefore: new Date(Date.now() + 5 * 60_000) }, { maxLatencyMs: 86_400_000, maxTokens: 10_000_000, minRating: 1, maxRating: 5 });
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "persona_metric_rollups" DROP CONSTRAINT "FK_31550adc04ddfb6d5f35de2e313"`);
        await queryRunner.query(`ALTER TABLE "persona_log_horizons" DROP CONSTRAINT "FK_d72c644c40eca81474156531f18"`);
        await queryRunner.query(`ALTER TABLE "persona_latency_bins" DROP CONSTRAINT "FK_971cbfdebac7e47fb067efeb070"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_3dd152207c0552e23a30570ff1"`);
        await queryRunner.query(`DROP TABLE "persona_metric_rollups"`);
        await queryRunner.query(`DROP TABLE "persona_log_horizons"`);
        await queryRunner.query(`DROP TABLE "persona_latency_bins"`);
        await queryRunner.query(`CREATE INDEX "IDX_1966236e7bf10a02033b593832" ON "persona_interactions" USING btree ("personaId", "latencyMs", "version") `);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions" USING btree ("personaId", "latencyMs") `);
    }

}
