import { MigrationInterface, QueryRunner } from "typeorm";

export class Init1795595464251 implements MigrationInterface {
    name = 'Init1795595464251'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "persona_behavior_rules" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(100) NOT NULL, "condition" text NOT NULL, "action" text NOT NULL, "priority" integer NOT NULL DEFAULT (50), "isMandatory" boolean NOT NULL DEFAULT (0), "exceptions" text NOT NULL)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6905f7fadaf118bbbc07c5b830" ON "persona_behavior_rules" ("personaId", "name") `);
        await queryRunner.query(`CREATE TABLE "persona_knowledge_domains" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(100) NOT NULL, "expertiseLevel" integer NOT NULL, "topics" text NOT NULL, "tools" text NOT NULL, "activationKeywords" text NOT NULL, "description" text)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_496822ee8dfb81593493ac2ebb" ON "persona_knowledge_domains" ("personaId", "name") `);
        await queryRunner.query(`CREATE TABLE "persona_traits" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(50) NOT NULL, "category" varchar CHECK( "category" IN ('personality','communication','expertise','behavioral','cognitive') ) NOT NULL, "value" text NOT NULL, "weight" float NOT NULL DEFAULT (1), "description" text)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_2334389d50a842da921110bbca" ON "persona_traits" ("personaId", "name") `);
        await queryRunner.query(`CREATE TABLE "personas" ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "slug" varchar(64) NOT NULL, "description" text NOT NULL DEFAULT (''), "instructions" text, "status" varchar CHECK( "status" IN ('active','inactive','draft','archived') ) NOT NULL DEFAULT ('draft'), "interactionMode" varchar CHECK( "interactionMode" IN ('conversational','task_oriented','analytical','creative','advisory') ) NOT NULL DEFAULT ('conversational'), "temperature" float NOT NULL DEFAULT (0.7), "maxTokens" integer, "modelPreferences" text NOT NULL, "templateId" varchar, "templateVersion" integer, "parentId" varchar, "isPublic" boolean NOT NULL DEFAULT (0), "createdBy" varchar(255) NOT NULL, "version" integer NOT NULL DEFAULT (1), "tags" text NOT NULL, "metadata" text NOT NULL, "createdAt" datetime NOT NULL DEFAULT (datetime('now')), "updatedAt" datetime NOT NULL DEFAULT (datetime('now')), "storedFieldPaths" text NOT NULL DEFAULT ('[]'), "responseStyleType" varchar CHECK( "responseStyleType" IN ('formal','casual','technical','creative','educational','empathetic') ) NOT NULL DEFAULT ('casual'), "responseStyleTone" varchar(50) NOT NULL DEFAULT ('neutral'), "responseStyleFormalitylevel" integer NOT NULL DEFAULT (5), "responseStyleVerbosity" integer NOT NULL DEFAULT (5), "responseStyleFormattingpreferences" text NOT NULL, "memoryConfigMaxcontexttokens" integer NOT NULL DEFAULT (8192), "memoryConfigSummarizeattokens" integer NOT NULL DEFAULT (6144), "memoryConfigRetainlastmessages" integer NOT NULL DEFAULT (20), "memoryConfigPrioritytopics" text NOT NULL, "memoryConfigSemanticcompression" boolean NOT NULL DEFAULT (0), "memoryConfigCompressionratio" float NOT NULL DEFAULT (0.5), "voiceConfigProvider" varchar(50), "voiceConfigVoiceid" varchar(200), "voiceConfigLanguage" varchar(35), "voiceConfigSpeed" float, "voiceConfigPitch" float, "voiceConfigVolume" float, "voiceConfigEmotion" varchar(50), "voiceConfigStyle" varchar(50), "voiceConfigProvideroptions" text, CONSTRAINT "UQ_b234d2174d7d76278e00958b6e0" UNIQUE ("slug"))`);
        await queryRunner.query(`CREATE INDEX "IDX_2917aeb44f18556d9d49d845b8" ON "personas" ("status") `);
        await queryRunner.query(`CREATE INDEX "IDX_84d084a89064f3761bc73c985b" ON "personas" ("templateId") `);
        await queryRunner.query(`CREATE INDEX "IDX_85b858677315c95f9785a2e76a" ON "personas" ("parentId") `);
        await queryRunner.query(`CREATE INDEX "IDX_5f679782d6987f1735363b3d98" ON "personas" ("createdBy") `);
        await queryRunner.query(`CREATE TABLE "persona_metrics" ("personaId" varchar PRIMARY KEY NOT NULL, "totalInteractions" bigint NOT NULL DEFAULT (0), "successfulInteractions" bigint NOT NULL DEFAULT (0), "failedInteractions" bigint NOT NULL DEFAULT (0), "totalInputTokens" bigint NOT NULL DEFAULT (0), "totalOutputTokens" bigint NOT NULL DEFAULT (0), "totalResponseTimeMs" bigint NOT NULL DEFAULT (0), "ratingCount" bigint NOT NULL DEFAULT (0), "ratingSum" bigint NOT NULL DEFAULT (0), "lastInteractionAt" datetime)`);
        await queryRunner.query(`CREATE TABLE "persona_templates" ("id" varchar PRIMARY KEY NOT NULL, "name" varchar(100) NOT NULL, "slug" varchar(64) NOT NULL, "description" text NOT NULL DEFAULT (''), "category" varchar(50) NOT NULL DEFAULT ('general'), "baseConfiguration" text NOT NULL, "customizableFields" text NOT NULL, "isPublic" boolean NOT NULL DEFAULT (0), "createdBy" varchar(255) NOT NULL, "version" integer NOT NULL DEFAULT (1), "tags" text NOT NULL, "createdAt" datetime NOT NULL DEFAULT (datetime('now')), "updatedAt" datetime NOT NULL DEFAULT (datetime('now')), CONSTRAINT "UQ_9755397373c4ce23dfb95eefeee" UNIQUE ("slug"))`);
        await queryRunner.query(`CREATE TABLE "persona_interactions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL DEFAULT (0), "outputTokens" bigint NOT NULL DEFAULT (0), "rating" integer, "at" datetime NOT NULL)`);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions" ("personaId", "latencyMs") `);
        await queryRunner.query(`CREATE TABLE "persona_revisions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "version" integer NOT NULL, "changedBy" varchar(255) NOT NULL, "changedAt" datetime NOT NULL DEFAULT (datetime('now')), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL)`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions" ("personaId", "version") `);
        await queryRunner.query(`DROP INDEX "IDX_6905f7fadaf118bbbc07c5b830"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_behavior_rules" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(100) NOT NULL, "condition" text NOT NULL, "action" text NOT NULL, "priority" integer NOT NULL DEFAULT (50), "isMandatory" boolean NOT NULL DEFAULT (0), "exceptions" text NOT NULL, CONSTRAINT "FK_42f120abb59d4a88e78c1893d2e" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_behavior_rules"("id", "personaId", "position", "name", "condition", "action", "priority", "isMandatory", "exceptions") SELECT "id", "personaId", "position", "name", "condition", "action", "priority", "isMandatory", "exceptions" FROM "persona_behavior_rules"`);
        await queryRunner.query(`DROP TABLE "persona_behavior_rules"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_behavior_rules" RENAME TO "persona_behavior_rules"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6905f7fadaf118bbbc07c5b830" ON "persona_behavior_rules" ("personaId", "name") `);
        await queryRunner.query(`DROP INDEX "IDX_496822ee8dfb81593493ac2ebb"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_knowledge_domains" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(100) NOT NULL, "expertiseLevel" integer NOT NULL, "topics" text NOT NULL, "tools" text NOT NULL, "activationKeywords" text NOT NULL, "description" text, CONSTRAINT "FK_b518830bdfd0d71e49f7c6728c1" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_knowledge_domains"("id", "personaId", "position", "name", "expertiseLevel", "topics", "tools", "activationKeywords", "description") SELECT "id", "personaId", "position", "name", "expertiseLevel", "topics", "tools", "activationKeywords", "description" FROM "persona_knowledge_domains"`);
        await queryRunner.query(`DROP TABLE "persona_knowledge_domains"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_knowledge_domains" RENAME TO "persona_knowledge_domains"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_496822ee8dfb81593493ac2ebb" ON "persona_knowledge_domains" ("personaId", "name") `);
        await queryRunner.query(`DROP INDEX "IDX_2334389d50a842da921110bbca"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_traits" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(50) NOT NULL, "category" varchar CHECK( "category" IN ('personality','communication','expertise','behavioral','cognitive') ) NOT NULL, "value" text NOT NULL, "weight" float NOT NULL DEFAULT (1), "description" text, CONSTRAINT "FK_da1deb5b6ae8c783b003807c599" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_traits"("id", "personaId", "position", "name", "category", "value", "weight", "description") SELECT "id", "personaId", "position", "name", "category", "value", "weight", "description" FROM "persona_traits"`);
        await queryRunner.query(`DROP TABLE "persona_traits"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_traits" RENAME TO "persona_traits"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_2334389d50a842da921110bbca" ON "persona_traits" ("personaId", "name") `);
        await queryRunner.query(`CREATE TABLE "temporary_persona_metrics" ("personaId" varchar PRIMARY KEY NOT NULL, "totalInteractions" bigint NOT NULL DEFAULT (0), "successfulInteractions" bigint NOT NULL DEFAULT (0), "failedInteractions" bigint NOT NULL DEFAULT (0), "totalInputTokens" bigint NOT NULL DEFAULT (0), "totalOutputTokens" bigint NOT NULL DEFAULT (0), "totalResponseTimeMs" bigint NOT NULL DEFAULT (0), "ratingCount" bigint NOT NULL DEFAULT (0), "ratingSum" bigint NOT NULL DEFAULT (0), "lastInteractionAt" datetime, CONSTRAINT "FK_a495933b573351305c8fd10cb66" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_metrics"("personaId", "totalInteractions", "successfulInteractions", "failedInteractions", "totalInputTokens", "totalOutputTokens", "totalResponseTimeMs", "ratingCount", "ratingSum", "lastInteractionAt") SELECT "personaId", "totalInteractions", "successfulInteractions", "failedInteractions", "totalInputTokens", "totalOutputTokens", "totalResponseTimeMs", "ratingCount", "ratingSum", "lastInteractionAt" FROM "persona_metrics"`);
        await queryRunner.query(`DROP TABLE "persona_metrics"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_metrics" RENAME TO "persona_metrics"`);
        await queryRunner.query(`DROP INDEX "IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_interactions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL DEFAULT (0), "outputTokens" bigint NOT NULL DEFAULT (0), "rating" integer, "at" datetime NOT NULL, CONSTRAINT "FK_93ac715dc6360b369349132f693" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_interactions"("id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at") SELECT "id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at" FROM "persona_interactions"`);
        await queryRunner.query(`DROP TABLE "persona_interactions"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_interactions" RENAME TO "persona_interactions"`);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions" ("personaId", "latencyMs") `);
        await queryRunner.query(`DROP INDEX "IDX_e015fc1323ddfe284623703303"`);
        await queryRunner.query(`CREATE TABLE "temporary_persona_revisions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "version" integer NOT NULL, "changedBy" varchar(255) NOT NULL, "changedAt" datetime NOT NULL DEFAULT (datetime('now')), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL, CONSTRAINT "FK_00119b863a0e8f0417f891edf30" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`);
        await queryRunner.query(`INSERT INTO "temporary_persona_revisions"("id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths") SELECT "id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths" FROM "persona_revisions"`);
        await queryRunner.query(`DROP TABLE "persona_revisions"`);
        await queryRunner.query(`ALTER TABLE "temporary_persona_revisions" RENAME TO "persona_revisions"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions" ("personaId", "version") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_e015fc1323ddfe284623703303"`);
        await queryRunner.query(`ALTER TABLE "persona_revisions" RENAME TO "temporary_persona_revisions"`);
        await queryRunner.query(`CREATE TABLE "persona_revisions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "version" integer NOT NULL, "changedBy" varchar(255) NOT NULL, "changedAt" datetime NOT NULL DEFAULT (datetime('now')), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL)`);
        await queryRunner.query(`INSERT INTO "persona_revisions"("id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths") SELECT "id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths" FROM "temporary_persona_revisions"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_revisions"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions" ("personaId", "version") `);
        await queryRunner.query(`DROP INDEX "IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`ALTER TABLE "persona_interactions" RENAME TO "temporary_persona_interactions"`);
        await queryRunner.query(`CREATE TABLE "persona_interactions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "success" boolean NOT NULL, "latencyMs" bigint NOT NULL, "inputTokens" bigint NOT NULL DEFAULT (0), "outputTokens" bigint NOT NULL DEFAULT (0), "rating" integer, "at" datetime NOT NULL)`);
        await queryRunner.query(`INSERT INTO "persona_interactions"("id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at") SELECT "id", "personaId", "success", "latencyMs", "inputTokens", "outputTokens", "rating", "at" FROM "temporary_persona_interactions"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_interactions"`);
        await queryRunner.query(`CREATE INDEX "IDX_c843f5cbb58db9c3d6ce394b27" ON "persona_interactions" ("personaId", "latencyMs") `);
        await queryRunner.query(`ALTER TABLE "persona_metrics" RENAME TO "temporary_persona_metrics"`);
        await queryRunner.query(`CREATE TABLE "persona_metrics" ("personaId" varchar PRIMARY KEY NOT NULL, "totalInteractions" bigint NOT NULL DEFAULT (0), "successfulInteractions" bigint NOT NULL DEFAULT (0), "failedInteractions" bigint NOT NULL DEFAULT (0), "totalInputTokens" bigint NOT NULL DEFAULT (0), "totalOutputTokens" bigint NOT NULL DEFAULT (0), "totalResponseTimeMs" bigint NOT NULL DEFAULT (0), "ratingCount" bigint NOT NULL DEFAULT (0), "ratingSum" bigint NOT NULL DEFAULT (0), "lastInteractionAt" datetime)`);
        await queryRunner.query(`INSERT INTO "persona_metrics"("personaId", "totalInteractions", "successfulInteractions", "failedInteractions", "totalInputTokens", "totalOutputTokens", "totalResponseTimeMs", "ratingCount", "ratingSum", "lastInteractionAt") SELECT "personaId", "totalInteractions", "successfulInteractions", "failedInteractions", "totalInputTokens", "totalOutputTokens", "totalResponseTimeMs", "ratingCount", "ratingSum", "lastInteractionAt" FROM "temporary_persona_metrics"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_metrics"`);
        await queryRunner.query(`DROP INDEX "IDX_2334389d50a842da921110bbca"`);
        await queryRunner.query(`ALTER TABLE "persona_traits" RENAME TO "temporary_persona_traits"`);
        await queryRunner.query(`CREATE TABLE "persona_traits" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(50) NOT NULL, "category" varchar CHECK( "category" IN ('personality','communication','expertise','behavioral','cognitive') ) NOT NULL, "value" text NOT NULL, "weight" float NOT NULL DEFAULT (1), "description" text)`);
        await queryRunner.query(`INSERT INTO "persona_traits"("id", "personaId", "position", "name", "category", "value", "weight", "description") SELECT "id", "personaId", "position", "name", "category", "value", "weight", "description" FROM "temporary_persona_traits"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_traits"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_2334389d50a842da921110bbca" ON "persona_traits" ("personaId", "name") `);
        await queryRunner.query(`DROP INDEX "IDX_496822ee8dfb81593493ac2ebb"`);
        await queryRunner.query(`ALTER TABLE "persona_knowledge_domains" RENAME TO "temporary_persona_knowledge_domains"`);
        await queryRunner.query(`CREATE TABLE "persona_knowledge_domains" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(100) NOT NULL, "expertiseLevel" integer NOT NULL, "topics" text NOT NULL, "tools" text NOT NULL, "activationKeywords" text NOT NULL, "description" text)`);
        await queryRunner.query(`INSERT INTO "persona_knowledge_domains"("id", "personaId", "position", "name", "expertiseLevel", "topics", "tools", "activationKeywords", "description") SELECT "id", "personaId", "position", "name", "expertiseLevel", "topics", "tools", "activationKeywords", "description" FROM "temporary_persona_knowledge_domains"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_knowledge_domains"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_496822ee8dfb81593493ac2ebb" ON "persona_knowledge_domains" ("personaId", "name") `);
        await queryRunner.query(`DROP INDEX "IDX_6905f7fadaf118bbbc07c5b830"`);
        await queryRunner.query(`ALTER TABLE "persona_behavior_rules" RENAME TO "temporary_persona_behavior_rules"`);
        await queryRunner.query(`CREATE TABLE "persona_behavior_rules" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), "name" varchar(100) NOT NULL, "condition" text NOT NULL, "action" text NOT NULL, "priority" integer NOT NULL DEFAULT (50), "isMandatory" boolean NOT NULL DEFAULT (0), "exceptions" text NOT NULL)`);
        await queryRunner.query(`INSERT INTO "persona_behavior_rules"("id", "personaId", "position", "name", "condition", "action", "priority", "isMandatory", "exceptions") SELECT "id", "personaId", "position", "name", "condition", "action", "priority", "isMandatory", "exceptions" FROM "temporary_persona_behavior_rules"`);
        await queryRunner.query(`DROP TABLE "temporary_persona_behavior_rules"`);
        await queryRunner.query(`CREATE UNIQUE INDEX "IDX_6905f7fadaf118bbbc07c5b830" ON "persona_behavior_rules" ("personaId", "name") `);
        await queryRunner.query(`DROP INDEX "IDX_e015fc1323ddfe284623703303"`);
        await queryRunner.query(`DROP TABLE "persona_revisions"`);
        await queryRunner.query(`DROP INDEX "IDX_c843f5cbb58db9c3d6ce394b27"`);
        await queryRunner.query(`DROP TABLE "persona_interactions"`);
        await queryRunner.query(`DROP TABLE "persona_templates"`);
        await queryRunner.query(`DROP TABLE "persona_metrics"`);
        await queryRunner.query(`DROP INDEX "IDX_5f679782d6987f1735363b3d98"`);
        await queryRunner.query(`DROP INDEX "IDX_85b858677315c95f9785a2e76a"`);
        await queryRunner.query(`DROP INDEX "IDX_84d084a89064f3761bc73c985b"`);
        await queryRunner.query(`DROP INDEX "IDX_2917aeb44f18556d9d49d845b8"`);
        await queryRunner.query(`DROP TABLE "personas"`);
        await queryRunner.query(`DROP INDEX "IDX_2334389d50a842da921110bbca"`);
        await queryRunner.query(`DROP TABLE "persona_traits"`);
        await queryRunner.query(`DROP INDEX "IDX_496822ee8dfb81593493ac2ebb"`);
        await queryRunner.query(`DROP TABLE "persona_knowledge_domains"`);
        await queryRunner.query(`DROP INDEX "IDX_6905f7fadaf118bbbc07c5b830"`);
        await queryRunner.query(`DROP TABLE "persona_behavior_rules"`);
    }

}
