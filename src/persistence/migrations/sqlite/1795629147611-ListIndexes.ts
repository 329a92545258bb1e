import { MigrationInterface, QueryRunner } from "typeorm";

export class ListIndexes1795629147611 implements MigrationInterface {
    name = 'ListIndexes1795629147611'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_5f679782d6987f1735363b3d98"`);
        await queryRunner.query(`CREATE TABLE "persona_tags" ("personaId" varchar NOT NULL, "tag" varchar(50) NOT NULL, PRIMARY KEY ("personaId", "tag"))`);
        await queryRunner.query(`CREATE INDEX "IDX_db7407d0a37bf25efbcc1d344b" ON "persona_tags" ("tag", "personaId") `);
        await queryRunner.query(`CREATE INDEX "IDX_d6925fec3c18ae4c4021e42461" ON "personas" ("updatedAt", "id") `);
        await queryRunner.query(`CREATE INDEX "IDX_personas_public_name" ON "personas" ("name", "id") WHERE "isPublic" = true`);
        await queryRunner.query(`CREATE INDEX "IDX_19d87c6ca1f706bde4c54413f5" ON "personas" ("createdBy", "name", "id") `);
        await queryRunner.query(`CREATE INDEX "IDX_eb9bc0e91e97119ae84b3dfad1" ON "personas" ("name", "id") `);
        await queryRunner.query(`DROP INDEX "IDX_db7407d0a37bf25efbcc1d344b"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_tags" ("personaId" varchar NOT NULL, "tag" varchar(50) NOT NULL, CONSTRAINT "FK_0640e678f12637e8a65ef736c47" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("personaId", "tag"))`);
        await queryRunner.query(`INSERT INTO "temporary_persona_tags"("personaId", "tag") SELECT "personaId", "tag" FROM "persona_tags"`);
        await queryRunner.query(`DROP TABLE "persona_tags"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_tags" RENAME TO "persona_tags"`);
        await queryRunner.query(`CREATE INDEX "IDX_db7407d0a37bf25efbcc1d344b" ON "persona_tags" ("tag", "personaId") `);
        // The tags of the personas already stored, and the FTS5 trigram table that search narrows through.
        await queryRunner.query(`INSERT INTO "persona_tags" ("personaId", "tag") SELECT DISTINCT p."id", j.value FROM "personas" p, json_each(p."tags") j`);
        await queryRunner.query(`CREATE VIRTUAL TABLE "persona_search" USING fts5("personaId" UNINDEXED, "name", "slug", tokenize = 'trigram')`);
        await queryRunner.query(`INSERT INTO "persona_search" ("personaId", "name", "slug") SELECT "id", "name", "slug" FROM "personas"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE IF EXISTS "persona_search"`);
        await queryRunner.query(`DROP INDEX "IDX_db7407d0a37bf25efbcc1d344b"`);
        await queryRunner.query(`ALTER TABLE "persona_tags" RENAME TO "temporary_persona_tags"`);
        await queryRunner.query(`CREATE TABLE "persona_tags" ("personaId" varchar NOT NULL, "tag" varchar(50) NOT NULL, PRIMARY KEY ("personaId", "tag"))`);
        await queryRunner.query(`INSERT INTO "persona_tags"("personaId", "tag") SELECT "personaId", "tag" FROM "temporary_persona_tags"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_tags"`);
        await queryRunner.query(`CREATE INDEX "IDX_db7407d0a37bf25efbcc1d344b" ON "persona_tags" ("tag", "personaId") `);
        await queryRunner.query(`DROP INDEX "IDX_eb9bc0e91e97119ae84b3dfad1"`);
        await queryRunner.query(`DROP INDEX "IDX_19d87c6ca1f706bde4c54413f5"`);
        await queryRunner.query(`DROP INDEX "IDX_personas_public_name"`);
        await queryRunner.query(`DROP INDEX "IDX_d6925fec3c18ae4c4021e42461"`);
        await queryRunner.query(`DROP INDEX "IDX_db7407d0a37bf25efbcc1d344b"`);
        await queryRunner.query(`DROP TABLE "persona_tags"`);
        await queryRunner.query(`CREATE INDEX "IDX_5f679782d6987f1735363b3d98" ON "personas" ("createdBy") `);
    }

}
