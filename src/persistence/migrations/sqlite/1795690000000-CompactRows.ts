import { MigrationInterface, QueryRunner } from 'typeorm';

/** The columns of each child table after its `id` goes, with its foreign key and unique index. */
const CHILD_TABLES = [
  {
    table: 'persona_traits',
    columns: `"name" varchar(50) NOT NULL, "category" varchar CHECK( "category" IN ('personality','communication','expertise','behavioral','cognitive') ) NOT NULL, "value" text NOT NULL, "weight" float NOT NULL DEFAULT (1), "description" text`,
    names: ['name', 'category', 'value', 'weight', 'description'],
    fk: 'FK_da1deb5b6ae8c783b003807c599',
    unique: 'IDX_2334389d50a842da921110bbca',
  },
  {
    table: 'persona_knowledge_domains',
    columns: `"name" varchar(100) NOT NULL, "expertiseLevel" integer NOT NULL, "topics" text NOT NULL, "tools" text NOT NULL, "activationKeywords" text NOT NULL, "description" text`,
    names: ['name', 'expertiseLevel', 'topics', 'tools', 'activationKeywords', 'description'],
    fk: 'FK_b518830bdfd0d71e49f7c6728c1',
    unique: 'IDX_496822ee8dfb81593493ac2ebb',
  },
  {
    table: 'persona_behavior_rules',
    columns: `"name" varchar(100) NOT NULL, "condition" text NOT NULL, "action" text NOT NULL, "priority" integer NOT NULL DEFAULT (50), "isMandatory" boolean NOT NULL DEFAULT (0), "exceptions" text NOT NULL`,
    names: ['name', 'condition', 'action', 'priority', 'isMandatory', 'exceptions'],
    fk: 'FK_42f120abb59d4a88e78c1893d2e',
    unique: 'IDX_6905f7fadaf118bbbc07c5b830',
  },
];

/**
 * Child rows (traits, knowledge domains, behavior rules) are keyed by their persona and name
 * (unique already) instead of an id of their own, in `WITHOUT ROWID` tables: a persona's children
 * are stored together in key order, and the id, its index, the separate unique index and the
 * rowid go (docs/scaling.md, "Storage"). Positions are renumbered 0… per persona in their current
 * order, so rows written by hand with a repeated position get a definite order. `persona_tags`
 * becomes `WITHOUT ROWID` too, and revisions are keyed by their persona and version (unique
 * already) in a `WITHOUT ROWID` table instead of by an id.
 */
export class CompactRows1795690000000 implements MigrationInterface {
  name = 'CompactRows1795690000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const { table, columns, names, fk, unique } of CHILD_TABLES) {
      const list = names.map((n) => `"${n}"`).join(', ');
      await queryRunner.query(
        `CREATE TABLE "temporary_${table}" ("personaId" varchar NOT NULL, "position" integer NOT NULL, ${columns}, CONSTRAINT "${fk}" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("personaId", "name")) WITHOUT ROWID`,
      );
      await queryRunner.query(
        `INSERT INTO "temporary_${table}" ("personaId", "position", ${list}) SELECT "personaId", ROW_NUMBER() OVER (PARTITION BY "personaId" ORDER BY "position", rowid) - 1, ${list} FROM "${table}"`,
      );
      await queryRunner.query(`DROP INDEX "${unique}"`);
      await queryRunner.query(`DROP TABLE "${table}"`);
      await queryRunner.query(`ALTER TABLE "temporary_${table}" RENAME TO "${table}"`);
    }
    await queryRunner.query(
      `CREATE TABLE "temporary_persona_tags" ("personaId" varchar NOT NULL, "tag" varchar(50) NOT NULL, CONSTRAINT "FK_0640e678f12637e8a65ef736c47" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("personaId", "tag")) WITHOUT ROWID`,
    );
    await queryRunner.query(`INSERT INTO "temporary_persona_tags" ("personaId", "tag") SELECT "personaId", "tag" FROM "persona_tags"`);
    await queryRunner.query(`DROP INDEX "IDX_db7407d0a37bf25efbcc1d344b"`);
    await queryRunner.query(`DROP TABLE "persona_tags"`);
    await queryRunner.query(`ALTER TABLE "temporary_persona_tags" RENAME TO "persona_tags"`);
    await queryRunner.query(`CREATE INDEX "IDX_db7407d0a37bf25efbcc1d344b" ON "persona_tags" ("tag", "personaId") `);
    await queryRunner.query(
      `CREATE TABLE "temporary_persona_revisions" ("personaId" varchar NOT NULL, "version" integer NOT NULL, "changedBy" varchar(255) NOT NULL, "changedAt" datetime NOT NULL DEFAULT (datetime('now')), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL, "wasPublic" boolean NOT NULL DEFAULT (0), "message" varchar(500), CONSTRAINT "FK_00119b863a0e8f0417f891edf30" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("personaId", "version")) WITHOUT ROWID`,
    );
    await queryRunner.query(`INSERT INTO "temporary_persona_revisions" ("personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths", "wasPublic", "message") SELECT "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths", "wasPublic", "message" FROM "persona_revisions"`);
    await queryRunner.query(`DROP INDEX "IDX_e015fc1323ddfe284623703303"`);
    await queryRunner.query(`DROP TABLE "persona_revisions"`);
    await queryRunner.query(`ALTER TABLE "temporary_persona_revisions" RENAME TO "persona_revisions"`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "temporary_persona_revisions" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "version" integer NOT NULL, "changedBy" varchar(255) NOT NULL, "changedAt" datetime NOT NULL DEFAULT (datetime('now')), "snapshot" text NOT NULL, "fieldPaths" text NOT NULL, "wasPublic" boolean NOT NULL DEFAULT (0), "message" varchar(500), CONSTRAINT "FK_00119b863a0e8f0417f891edf30" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
    );
    const revisionId = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;
    await queryRunner.query(`INSERT INTO "temporary_persona_revisions" ("id", "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths", "wasPublic", "message") SELECT ${revisionId}, "personaId", "version", "changedBy", "changedAt", "snapshot", "fieldPaths", "wasPublic", "message" FROM "persona_revisions"`);
    await queryRunner.query(`DROP TABLE "persona_revisions"`);
    await queryRunner.query(`ALTER TABLE "temporary_persona_revisions" RENAME TO "persona_revisions"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions" ("personaId", "version") `);
    for (const { table, columns, names, fk, unique } of CHILD_TABLES) {
      const list = names.map((n) => `"${n}"`).join(', ');
      await queryRunner.query(
        `CREATE TABLE "temporary_${table}" ("id" varchar PRIMARY KEY NOT NULL, "personaId" varchar NOT NULL, "position" integer NOT NULL DEFAULT (0), ${columns}, CONSTRAINT "${fk}" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION)`,
      );
      // A version 4 UUID from random bytes, as the ids were.
      const uuid = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;
      await queryRunner.query(`INSERT INTO "temporary_${table}" ("id", "personaId", "position", ${list}) SELECT ${uuid}, "personaId", "position", ${list} FROM "${table}"`);
      await queryRunner.query(`DROP TABLE "${table}"`);
      await queryRunner.query(`ALTER TABLE "temporary_${table}" RENAME TO "${table}"`);
      await queryRunner.query(`CREATE UNIQUE INDEX "${unique}" ON "${table}" ("personaId", "name") `);
    }
    await queryRunner.query(
      `CREATE TABLE "temporary_persona_tags" ("personaId" varchar NOT NULL, "tag" varchar(50) NOT NULL, CONSTRAINT "FK_0640e678f12637e8a65ef736c47" FOREIGN KEY ("personaId") REFERENCES "personas" ("id") ON DELETE CASCADE ON UPDATE NO ACTION, PRIMARY KEY ("personaId", "tag"))`,
    );
    await queryRunner.query(`INSERT INTO "temporary_persona_tags" ("personaId", "tag") SELECT "personaId", "tag" FROM "persona_tags"`);
    await queryRunner.query(`DROP INDEX "IDX_db7407d0a37bf25efbcc1d344b"`);
    await queryRunner.query(`DROP TABLE "persona_tags"`);
    await queryRunner.query(`ALTER TABLE "temporary_persona_tags" RENAME TO "persona_tags"`);
    await queryRunner.query(`CREATE INDEX "IDX_db7407d0a37bf25efbcc1d344b" ON "persona_tags" ("tag", "personaId") `);
  }
}
