import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795595466891 implements MigrationInterface {
    name = 'Init1795595466891'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "persona_behavior_rules" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "personaId" uuid NOT NULL, "position" integer NOT NULL DEFAULT '0', "name" character varying(100) NOT NULL, "condition" text NOT NULL, "action" text NOT NULL, "priority" integer NOT NULL DEFAULT '50', "isMandatory" boolean NOT NULL DEFAULT false, "exceptions" text NOT NULL, CONSTRAINT "PK_66852dc19044cdc6ed28cddad7b" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6905f7fadaf118bbbc07c5b830" ON "persona_behavior_rules"  ("personaId", "name") `);
        await queryRunner.query(`CREATE TABLE "persona_knowledge_domains" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "personaId" uuid NOT NULL, "position" integer NOT NULL DEFAULT '0', "name" character varying(100) NOT NULL, "expertiseLevel" integer NOT NULL, "topics" text NOT NULL, "tools" text NOT NULL, "activationKeywords" text NOT NULL, "description" text, CONSTRAINT "PK_f9f6808cad418660b183cfc2b4a" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_496822ee8dfb81593493ac2ebb" ON "persona_knowledge_domains"  ("personaId", "name") `);
        await queryRunner.query(`CREATE TYPE "public"."persona_traits_category_enum" AS ENUM('personality', 'communication', 'expertise', 'behavioral', 'cognitive')`);
        await queryRunner.query(`CREATE TABLE "persona_traits" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "personaId" uuid NOT NULL, "position" integer NOT NULL DEFAULT '0', "name" character varying(50) NOT NULL, "category" "public"."persona_traits_category_enum" NOT NULL, "value" text NOT NULL, "weight" double precision NOT NULL DEFAULT '1', "description" text, CONSTRAINT "PK_b6d11c1316eee70c072def6fa8f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_2334389d50a842da921110bbca" ON "persona_traits"  ("personaId", "name") `);
        await queryRunner.query(`CREATE TYPE "public"."personas_status_enum" AS ENUM('active', 'inactive', 'draft', 'archived')`);
        await queryRunner.query(`CREATE TYPE "public"."personas_interactionmode_enum" AS ENUM('conversational', 'task_oriented', 'analytical', 'creative', 'advisory')`);
        await queryRunner.query(`CREATE TYPE "public"."personas_responsestyletype_enum" AS ENUM('formal', 'casual', 'technical', 'creative', 'educational', 'empathetic')`);
        await queryRunner.query(`CREATE TABLE "personas" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(100) NOT NULL, "slug" character varying(64) NOT NULL, "description" text NOT NULL DEFAULT '', "instructions" text, "status" "public"."personas_status_enum" NOT NULL DEFAULT 'draft', "interactionMode" "public"."personas_interactionmode_enum" NOT NULL DEFAULT 'conversational', "temperature" double precision NOT NULL DEFAULT '0.7', "maxTokens" integer, "modelPreferences" text NOT NULL, "templateId" uuid, "templateVersion" integer, "parentId" uuid, "isPublic" boolean NOT NULL DEFAULT false, "createdBy" character varying(255) NOT NULL, "version" integer NOT NULL DEFAULT '1', "tags" text NOT NULL, "metadata" text NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "storedFieldPaths" text NOT NULL DEFAULT '[]', "responseStyleType" "public"."personas_responsestyletype_enum" NOT NULL DEFAULT 'casual', "responseStyleTone" character varying(50) NOT NULL DEFAULT 'neutral', "responseStyleFormalitylevel" integer NOT NULL DEFAULT '5', "responseStyleVerbosity" integer NOT NULL DEFAULT '5', "responseStyleFormattingpreferences" text NOT NULL, "memoryConfigMaxcontexttokens" integer NOT NULL DEFAULT '8192', "memoryConfigSummarizeattokens" integer NOT NULL DEFAULT '6144', "memoryConfigRetainlastmessages" integer NOT NULL DEFAULT '20', "memoryConfigPrioritytopics" text NOT NULL, "memoryConfigSemanticcompression" boolean NOT NULL DEFAULT false, "memoryConfigCompressionratio" double precision NOT NULL DEFAULT '0.5', "voiceConfigProvider" character varying(50), "voiceConfigVoiceid" character varying(200), "voiceConfigLanguage" character varying(35), "voiceConfigSpeed" double precision, "voiceConfigPitch" double precision, "voiceConfigVolume" double precision, "voiceConfigEmotion" character varying(50), "voiceConfigStyle" character varying(50), "voiceConfigProvideroptions" text, CONSTRAINT "UQ_b234d2174d7d76278e00958b6e0" UNIQUE ("slug"), CONSTRAINT "PK_714aa5d028f8f3e6645e971cecd" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_2917aeb44f18556d9d49d845b8" ON "personas"  ("status") `);
        await queryRunner.query(`CREATE INDEX "IDX_84d084a89064f3761bc73c985b" ON "personas"  ("templateId") `);
        await queryRunner.query(`CREATE INDEX "IDX_85b858677315c95f9785a2e76a" ON "personas"  ("parentId") `);
        await queryRunner.query(`CREATE INDEX "IDX_5f679782d6987f1735363b3d98" ON "personas"  ("createdBy") `);
        await queryRunner.query(`CREATE TABLE "persona_metrics" ("personaId" uuid NOT NULL, "totalInteractions" bigint NOT NULL DEFAULT '0', "successfulInteractions" bigint NOT NULL DEFAULT '0', "failedInteractions" bigint NOT NULL DEFAULT '0', "totalInputTokens" bigint NOT NULL DEFAULT '0', "totalOutputTokens" bigint NOT NULL DEFAULT '0', "totalResponseTimeMs" bigint NOT NULL DEFAULT '0', "ratingCount" bigint NOT NULL DEFAULT '0', "ratingSum" bigint NOT NULL DEFAULT '0', "lastInteractionAt" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_a495933b573351305c8fd10cb66" PRIMARY KEY ("personaId"))`);
        await queryRunner.query(`CREATE TABLE "persona_templates" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "name" character varying(100) NOT NULL, "slug" character varying(64) NOT NULL, "description" text NOT NULL DEFAULT '', "category" character varying(50) NOT NULL DEFAULT 'general', "baseConfiguration" text NOT NULL, "customizableFields" text NOT NULL, "isPublic" boolean NOT NULL DEFAULT false, "createdBy" character varying(255) NOT NULL, "version" integer NOT NULL DEFAULT '1', "tags" text NOT NULL, "createdAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updatedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_9755397373c4ce23dfb95eefeee" UNIQUE ("slug"), CONSTRAINT "PK_aa380693431d47bdc5981886ca0" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "persona_interactions" ("id" uuid NOT NULL, "personaId" uuid NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL DEFAULT '0', "outputTokens" bigint NOT NULL DEFAULT '0', "rating" integer, "at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_81a938a75e0ce7f5c9f68b6401e" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions"  ("personaId", "latencyMs") `);
        await queryRunner.query(`CREATE TABLE "persona_revisions" ("id" uuid NOT NULL, "personaId" uuid NOT NULL, "version" integer NOT NULL, "changedBy" character varying(255) NOT NULL, "changedAt" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL, CONSTRAINT "PK_6598926352247c8f0b0c80d8e90" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions"  ("personaId", "version") `);
        await queryRunner.query(`ALTER TABLE "persona_behavior_rules" ADD CONSTRAINT "FK_42f120abb59d4a88e78c1893d2e" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_knowledge_domains" ADD CONSTRAINT "FK_b518830bdfd0d71e49f7c6728c1" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_traits" ADD CONSTRAINT "FK_da1deb5b6ae8c783b003807c599" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_metrics" ADD CONSTRAINT "FK_a495933b573351305c8fd10cb66" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_interactions" ADD CONSTRAINT "FK_93ac715dc6360b369349132f693" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
        await queryRunner.query(`ALTER TABLE "persona_revisions" ADD CONSTRAINT "FK_00119b863a0e8f0417f891edf30" FOREIGN KEY ("personaId") REFERENCES "personas"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "persona_revisions" DROP CONSTRAINT "FK_00119b863a0e8f0417f891edf30"`);
        await queryRunner.query(`ALTER TABLE "persona_interactions" DROP CONSTRAINT "FK_93ac715dc6360b369349132f693"`);
        await queryRunner.query(`ALTER TABLE "persona_metrics" DROP CONSTRAINT "FK_a495933b573351305c8fd10cb66"`);
        await queryRunner.query(`ALTER TABLE "persona_traits" DROP CONSTRAINT "FK_da1deb5b6ae8c783b003807c599"`);
        await queryRunner.query(`ALTER TABLE "persona_knowledge_domains" DROP CONSTRAINT "FK_b518830bdfd0d71e49f7c6728c1"`);
        await queryRunner.query(`ALTER TABLE "persona_behavior_rules" DROP CONSTRAINT "FK_42f120abb59d4a88e78c1893d2e"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_e015fc1323ddfe284623703303"`);
        await queryRunner.query(`DROP TABLE "persona_revisions"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`DROP TABLE "persona_interactions"`);
        await queryRunner.query(`DROP TABLE "persona_templates"`);
        await queryRunner.query(`DROP TABLE "persona_metrics"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_5f679782d6987f1735363b3d98"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_85b858677315c95f9785a2e76a"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_84d084a89064f3761bc73c985b"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_2917aeb44f18556d9d49d845b8"`);
        await queryRunner.query(`DROP TABLE "personas"`);
        await queryRunner.query(`DROP TYPE "public"."personas_responsestyletype_enum"`);
        await queryRunner.query(`DROP TYPE "public"."personas_interactionmode_enum"`);
        await queryRunner.query(`DROP TYPE "public"."personas_status_enum"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_2334389d50a842da921110bbca"`);
        await queryRunner.query(`DROP TABLE "persona_traits"`);
        await queryRunner.query(`DROP TYPE "public"."persona_traits_category_enum"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_496822ee8dfb81593493ac2ebb"`);
        await queryRunner.query(`DROP TABLE "persona_knowledge_domains"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_6905f7fadaf118bbbc07c5b830"`);
        await queryRunner.query(`DROP TABLE "persona_behavior_rules"`);
    }

}
