import { MigrationInterface, QueryRunner } from "typeorm";

export class ListIndexes1795629150518 implements MigrationInterface {
    name = 'ListIndexes1795629150518'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_5f679782d6987f1735363b3d98"`);
        await queryRunner.query(`CREATE TABLE "persona_tags" ("personaId" uuid NOT NULL, "tag" character varying(50) NOT NULL, CONSTRAINT "PK_db7407d0a37bf25efbcc1d344b0" PRIMARY KEY ("personaId", "tag"))`);
        await queryRunner.query(`CREATE INDEX "IDX_db7407d0a37bf25efbcc1d344b" ON "persona_tags"  ("tag", "personaId") `);
        await queryRunner.query(`CREATE INDEX "IDX_d6925fec3c18ae4c4021e42461" ON "personas"  ("updatedAt", "id") `);
        await queryRunner.query(`CREATE INDEX "IDX_personas_public_name" ON "personas"  ("name", "id") WHERE "isPublic" = true`);
        await queryRunner.query(`CREATE INDEX "IDX_19d87c6ca1f706bde4c54413f5" ON "personas"  ("createdBy", "name", "id") `);
        await queryRunner.query(`CREATE INDEX "IDX_eb9bc0e91e97119ae84b3dfad1" ON "personas"  ("name", "id") `);
        await queryRunner.query(`ALTER TABLE "persona_tags" ADD CONSTRAINT "FK_0640e678f12637e8a65ef736c47" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        // Tag filters: a GIN index on the tags as jsonb (persona_tags is SQLite's tag index and stays empty here).
        await queryRunner.query(`CREATE INDEX "IDX_personas_tags_gin" ON "personas" USING gin (CAST("tags" AS jsonb))`);
        // Search through trigram indexes when pg_trgm can be had (trusted since PostgreSQL 13: the
        // database owner may create it). Without it search still works, as a scan (docs/scaling.md).
        await queryRunner.query(`DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm unavailable (%): persona search scans instead of using trigram indexes', SQLERRM; END $$`);
        await queryRunner.query(`DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
            CREATE INDEX IF NOT EXISTS "IDX_personas_name_trgm" ON "personas" USING gin (lower("name") gin_trgm_ops);
            CREATE INDEX IF NOT EXISTS "IDX_personas_slug_trgm" ON "personas" USING gin (lower("slug") gin_trgm_ops);
          END IF; END $$`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."IDX_personas_tags_gin"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."IDX_personas_slug_trgm"`);
        await queryRunner.query(`DROP INDEX IF EXISTS "public"."IDX_personas_name_trgm"`);
        await queryRunner.query(`ALTER TABLE "persona_tags" DROP CONSTRAINT "FK_0640e678f12637e8a65ef736c47"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_eb9bc0e91e97119ae84b3dfad1"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_19d87c6ca1f706bde4c54413f5"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_personas_public_name"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_d6925fec3c18ae4c4021e42461"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_db7407d0a37bf25efbcc1d344b"`);
        await queryRunner.query(`DROP TABLE "persona_tags"`);
        await queryRunner.query(`CREATE INDEX "IDX_5f679782d6987f1735363b3d98" ON "personas" USING btree ("createdBy") `);
    }

}
