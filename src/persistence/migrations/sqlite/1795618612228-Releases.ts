import { MigrationInterface, QueryRunner } from "typeorm";

export class Releases1795618612228 implements MigrationInterface {
    name = 'Releases1795618612228'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "persona_labels" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "version" integer, "split" text, "movedBy" varchar(255) NOT NULL, "movedAt" datetime NOT NULL)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6ef6ed2e92088688eab7f49f9c" ON "persona_labels" ("personaId", "label") `);
        await queryRunner.query(`CREATE TABLE "persona_label_moves" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "fromTarget" text, "toTarget" text, "movedBy" varchar(255) NOT NULL, "movedAt" datetime NOT NULL, "published" boolean NOT NULL DEFAULT (0))`);
        await queryRunner.query(`CREATE INDEX "IDX_d0996d2cc76e7252f897d453cd" ON "persona_label_moves" ("personaId", "movedAt") `);
        await queryRunner.query(`CREATE TABLE "persona_label_policies" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "roles" text NOT NULL, "checks" text NOT NULL, "updatedBy" varchar(255) NOT NULL, "updatedAt" datetime NOT NULL)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_34d1e7a1a708980c465156297e" ON "persona_label_policies" ("personaId", "label") `);
        await queryRunner.query(`DROP INDEX "IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_interactions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL DEFAULT (0), "outputTokens" bigint NOT NULL DEFAULT (0), "rating" integer, "at" datetime NOT NULL, "version" integer, CONSTRAINT "FK_93ac715dc6360b369349132f693" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_interactions"("id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at") SELECT "id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at" FROM "persona_interactions"`);
        await queryRunner.query(`DROP TABLE "persona_interactions"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_interactions" RENAME TO "persona_interactions"`);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions" ("personaId", "latencyMs") `);
        await queryRunner.query(`DROP INDEX "IDX_e015fc1323ddfe284623703303"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_revisions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "version" integer NOT NULL, "changedBy" varchar(255) NOT NULL, "changedAt" datetime NOT NULL DEFAULT (datetime('now')), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL, "wasPublic" boolean NOT NULL DEFAULT (0), "message" varchar(500), CONSTRAINT "FK_00119b863a0e8f0417f891edf30" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_revisions"("id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths") SELECT "id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths" FROM "persona_revisions"`);
        await queryRunner.query(`DROP TABLE "persona_revisions"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_revisions" RENAME TO "persona_revisions"`);
        // Versions written before this release: public exactly when their snapshot says so.
        await queryRunner.query(`UPDATE "persona_revisions" SET "wasPublic" = CASE WHEN json_extract("snapshot", '$.isPublic') = 1 THEN 1 ELSE 0 END`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions" ("personaId", "version") `);
        await queryRunner.query(`CREATE INDEX "IDX_1966236e7bf10a02033b593832" ON "persona_interactions" ("personaId", "version", "latencyMs") `);
        await queryRunner.query(`CREATE INDEX "IDX_dfd7a8f5f4c332383723af7c21" ON "persona_interactions" ("personaId", "at") `);
        await queryRunner.query(`DROP INDEX "IDX_6ef6ed2e92088688eab7f49f9c"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_labels" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "version" integer, "split" text, "movedBy" varchar(255) NOT NULL, "movedAt" datetime NOT NULL, CONSTRAINT "FK_4fbe50b0a1baffb1a44566d0c64" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_labels"("id", "personaId", "label", "version", "split", "movedBy", "movedAt") SELECT "id", "personaId", "label", "version", "split", "movedBy", "movedAt" FROM "persona_labels"`);
        await queryRunner.query(`DROP TABLE "persona_labels"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_labels" RENAME TO "persona_labels"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6ef6ed2e92088688eab7f49f9c" ON "persona_labels" ("personaId", "label") `);
        await queryRunner.query(`DROP INDEX "IDX_d0996d2cc76e7252f897d453cd"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_label_moves" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "fromTarget" text, "toTarget" text, "movedBy" varchar(255) NOT NULL, "movedAt" datetime NOT NULL, "published" boolean NOT NULL DEFAULT (0), CONSTRAINT "FK_ef140b48ed750ab9b84ecdfc973" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_label_moves"("id", "personaId", "label", "fromTarget", "toTarget", "movedBy", "movedAt", "published") SELECT "id", "personaId", "label", "fromTarget", "toTarget", "movedBy", "movedAt", "published" FROM "persona_label_moves"`);
        await queryRunner.query(`DROP TABLE "persona_label_moves"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_label_moves" RENAME TO "persona_label_moves"`);
        await queryRunner.query(`CREATE INDEX "IDX_d0996d2cc76e7252f897d453cd" ON "persona_label_moves" ("personaId", "movedAt") `);
        await queryRunner.query(`DROP INDEX "IDX_34d1e7a1a708980c465156297e"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_label_policies" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "roles" text NOT NULL, "checks" text NOT NULL, "updatedBy" varchar(255) NOT NULL, "updatedAt" datetime NOT NULL, CONSTRAINT "FK_e617d7bea59f8682aaceb38d507" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_label_policies"("id", "personaId", "label", "roles", "checks", "updatedBy", "updatedAt") SELECT "id", "personaId", "label", "roles", "checks", "updatedBy", "updatedAt" FROM "persona_label_policies"`);
        await queryRunner.query(`DROP TABLE "persona_label_policies"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_label_policies" RENAME TO "persona_label_policies"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_34d1e7a1a708980c465156297e" ON "persona_label_policies" ("personaId", "label") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_34d1e7a1a708980c465156297e"`);
        await queryRunner.query(`ALTER TABLE "persona_label_policies" RENAME TO "temporary_persona_label_policies"`);
        await queryRunner.query(`CREATE TABLE "persona_label_policies" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "roles" text NOT NULL, "checks" text NOT NULL, "updatedBy" varchar(255) NOT NULL, "updatedAt" datetime NOT NULL)`);
        await queryRunner.query(`INSERT INTO "persona_label_policies"("id", "personaId", "label", "roles", "checks", "updatedBy", "updatedAt") SELECT "id", "personaId", "label", "roles", "checks", "updatedBy", "updatedAt" FROM "temporary_persona_label_policies"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_label_policies"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_34d1e7a1a708980c465156297e" ON "persona_label_policies" ("personaId", "label") `);
        await queryRunner.query(`DROP INDEX "IDX_d0996d2cc76e7252f897d453cd"`);
        await queryRunner.query(`ALTER TABLE "persona_label_moves" RENAME TO "temporary_persona_label_moves"`);
        await queryRunner.query(`CREATE TABLE "persona_label_moves" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "fromTarget" text, "toTarget" text, "movedBy" varchar(255) NOT NULL, "movedAt" datetime NOT NULL, "published" boolean NOT NULL DEFAULT (0))`);
        await queryRunner.query(`INSERT INTO "persona_label_moves"("id", "personaId", "label", "fromTarget", "toTarget", "movedBy", "movedAt", "published") SELECT "id", "personaId", "label", "fromTarget", "toTarget", "movedBy", "movedAt", "published" FROM "temporary_persona_label_moves"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_label_moves"`);
        await queryRunner.query(`CREATE INDEX "IDX_d0996d2cc76e7252f897d453cd" ON "persona_label_moves" ("personaId", "movedAt") `);
        await queryRunner.query(`DROP INDEX "IDX_6ef6ed2e92088688eab7f49f9c"`);
        await queryRunner.query(`ALTER TABLE "persona_labels" RENAME TO "temporary_persona_labels"`);
        await queryRunner.query(`CREATE TABLE "persona_labels" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "label" varchar(50) NOT NULL, "version" integer, "split" text, "movedBy" varchar(255) NOT NULL, "movedAt" datetime NOT NULL)`);
        await queryRunner.query(`INSERT INTO "persona_labels"("id", "personaId", "label", "version", "split", "movedBy", "movedAt") SELECT "id", "personaId", "label", "version", "split", "movedBy", "movedAt" FROM "temporary_persona_labels"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_labels"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6ef6ed2e92088688eab7f49f9c" ON "persona_labels" ("personaId", "label") `);
        await queryRunner.query(`DROP INDEX "IDX_dfd7a8f5f4c332383723af7c21"`);
        await queryRunner.query(`DROP INDEX "IDX_1966236e7bf10a02033b593832"`);
        await queryRunner.query(`DROP INDEX "IDX_e015fc1323ddfe284623703303"`);
        await queryRunner.query(`ALTER TABLE "persona_revisions" RENAME TO "temporary_persona_revisions"`);
        await queryRunner.query(`CREATE TABLE "persona_revisions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "version" integer NOT NULL, "changedBy" varchar(255) NOT NULL, "changedAt" datetime NOT NULL DEFAULT (datetime('now')), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL, CONSTRAINT "FK_00119b863a0e8f0417f891edf30" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "persona_revisions"("id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths") SELECT "id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths" FROM "temporary_persona_revisions"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_revisions"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions" ("personaId", "version") `);
        await queryRunner.query(`DROP INDEX "IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`ALTER TABLE "persona_interactions" RENAME TO "temporary_persona_interactions"`);
        await queryRunner.query(`CREATE TABLE "persona_interactions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL DEFAULT (0), "outputTokens" bigint NOT NULL DEFAULT (0), "rating" integer, "at" datetime NOT NULL, CONSTRAINT "FK_93ac715dc6360b369349132f693" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "persona_interactions"("id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at") SELECT "id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at" FROM "temporary_persona_interactions"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_interactions"`);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions" ("personaId", "latencyMs") `);
        await queryRunner.query(`DROP INDEX "IDX_34d1e7a1a708980c465156297e"`);
        await queryRunner.query(`DROP TABLE "persona_label_policies"`);
        await queryRunner.query(`DROP INDEX "IDX_d0996d2cc76e7252f897d453cd"`);
        await queryRunner.query(`DROP TABLE "persona_label_moves"`);
        await queryRunner.query(`DROP INDEX "IDX_6ef6ed2e92088688eab7f49f9c"`);
        await queryRunner.query(`DROP TABLE "persona_labels"`);
    }

}
