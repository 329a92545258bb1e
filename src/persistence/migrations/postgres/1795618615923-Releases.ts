import { MigrationInterface, QueryRunner } from "typeorm";

export class Releases1795618615923 implements MigrationInterface {
    name = 'Releases1795618615923'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "persona_labels" ("id" uuid NOT NULL, "personaId" uuid NOT NULL, "label" character varying(50) NOT NULL, "version" integer, "split" text, "movedBy" character varying(255) NOT NULL, "movedAt" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_47fe967970d7132659eb4d26c01" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6ef6ed2e92088688eab7f49f9c" ON "persona_labels"  ("personaId", "label") `);
        await queryRunner.query(`CREATE TABLE "persona_label_moves" ("id" uuid NOT NULL, "personaId" uuid NOT NULL, "label" character varying(50) NOT NULL, "fromTarget" text, "toTarget" text, "movedBy" character varying(255) NOT NULL, "movedAt" TIMESTAMP WITH TIME ZONE NOT NULL, "published" boolean NOT NULL DEFAULT false, CONSTRAINT "PK_74eacc57d5035b22ac49f49827f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_d0996d2cc76e7252f897d453cd" ON "persona_label_moves"  ("personaId", "movedAt") `);
        await queryRunner.query(`CREATE TABLE "persona_label_policies" ("id" uuid NOT NULL, "personaId" uuid NOT NULL, "label" character varying(50) NOT NULL, "roles" text NOT NULL, "checks" text NOT NULL, "updatedBy" character varying(255) NOT NULL, "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_9d77c40bd825b3a58358f96e787" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_34d1e7a1a708980c465156297e" ON "persona_label_policies"  ("personaId", "label") `);
        await queryRunner.query(`ALTER TABLE "persona_interactions" ADD "version" integer`);
        await queryRunner.query(`ALTER TABLE "persona_revisions" ADD "wasPublic" boolean NOT NULL DEFAULT false`);
        // Versions written before this release: public exactly when their snapshot says so.
        await queryRunner.query(`UPDATE "persona_revisions" SET "wasPublic" = COALESCE(("snapshot"::json ->> 'isPublic')::boolean, false)`);
        await queryRunner.query(`ALTER TABLE "persona_revisions" ADD "message" character varying(500)`);
        await queryRunner.query(`CREATE INDEX "IDX_1966236e7bf10a02033b593832" ON "persona_interactions"  ("personaId", "version", "latencyMs") `);
        await queryRunner.query(`CREATE INDEX "IDX_dfd7a8f5f4c332383723af7c21" ON "persona_interactions"  ("personaId", "at") `);
        await queryRunner.query(`ALTER TABLE "persona_labels" ADD CONSTRAINT "FK_4fbe50b0a1baffb1a44566d0c64" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_label_moves" ADD CONSTRAINT "FK_ef140b48ed750ab9b84ecdfc973" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_label_policies" ADD CONSTRAINT "FK_e617d7bea59f8682aaceb38d507" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "persona_label_policies" DROP CONSTRAINT "FK_e617d7bea59f8682aaceb38d507"`);
        await queryRunner.query(`ALTER TABLE "persona_label_moves" DROP CONSTRAINT "FK_ef140b48ed750ab9b84ecdfc973"`);
        await queryRunner.query(`ALTER TABLE "persona_labels" DROP CONSTRAINT "FK_4fbe50b0a1baffb1a44566d0c64"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_dfd7a8f5f4c332383723af7c21"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_1966236e7bf10a02033b593832"`);
        await queryRunner.query(`ALTER TABLE "persona_revisions" DROP COLUMN "message"`);
        await queryRunner.query(`ALTER TABLE "persona_revisions" DROP COLUMN "wasPublic"`);
        await queryRunner.query(`ALTER TABLE "persona_interactions" DROP COLUMN "version"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_34d1e7a1a708980c465156297e"`);
        await queryRunner.query(`DROP TABLE "persona_label_policies"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_d0996d2cc76e7252f897d453cd"`);
        await queryRunner.query(`DROP TABLE "persona_label_moves"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_6ef6ed2e92088688eab7f49f9c"`);
        await queryRunner.query(`DROP TABLE "persona_labels"`);
    }

}
