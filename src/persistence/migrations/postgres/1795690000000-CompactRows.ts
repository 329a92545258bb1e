import { MigrationInterface, QueryRunner } from 'typeorm';

/** Each child table with the names of its primary key before and after. */
const CHILD_TABLES = [
  { table: 'persona_behavior_rules', oldKey: 'PK_66852dc19044cdc6ed28cddad7b', newKey: 'PK_6905f7fadaf118bbbc07c5b8309', unique: 'IDX_6905f7fadaf118bbbc07c5b830' },
  { table: 'persona_knowledge_domains', oldKey: 'PK_f9f6808cad418660b183cfc2b4a', newKey: 'PK_496822ee8dfb81593493ac2ebb1', unique: 'IDX_496822ee8dfb81593493ac2ebb' },
  { table: 'persona_traits', oldKey: 'PK_b6d11c1316eee70c072def6fa8f', newKey: 'PK_2334389d50a842da921110bbcac', unique: 'IDX_2334389d50a842da921110bbca' },
];

/**
 * Child rows (traits, knowledge domains, behavior rules) are keyed by their persona and name
 * (unique already) instead of an id of their own: the id column, its index and the separate
 * unique index go (docs/scaling.md, "Storage"). Positions are renumbered 0… per persona in their
 * current order, so rows written by hand with a repeated position get a definite order.
 * Revisions are keyed by their persona and version (unique already) instead of an id.
 */
export class CompactRows1795690000000 implements MigrationInterface {
  name = 'CompactRows1795690000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const { table, oldKey, newKey, unique } of CHILD_TABLES) {
      await queryRunner.query(
        `UPDATE "${table}" c SET "position" = n.rn FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY "personaId" ORDER BY "position", id) - 1 AS rn FROM "${table}") n WHERE c.id = n.id AND c."position" <> n.rn`,
      );
      await queryRunner.query(`DROP INDEX "public"."${unique}"`);
      await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${oldKey}"`);
      await queryRunner.query(`ALTER TABLE "${table}" DROP COLUMN "id"`);
      await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${newKey}" PRIMARY KEY ("personaId", "name")`);
      await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "position" DROP DEFAULT`);
    }
    await queryRunner.query(`DROP INDEX "public"."IDX_e015fc1323ddfe284623703303"`);
    await queryRunner.query(`ALTER TABLE "persona_revisions" DROP CONSTRAINT "PK_6598926352247c8f0b0c80d8e90"`);
    await queryRunner.query(`ALTER TABLE "persona_revisions" DROP COLUMN "id"`);
    await queryRunner.query(`ALTER TABLE "persona_revisions" ADD CONSTRAINT "PK_e015fc1323ddfe2846237033033" PRIMARY KEY ("personaId", "version")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "persona_revisions" DROP CONSTRAINT "PK_e015fc1323ddfe2846237033033"`);
    await queryRunner.query(`ALTER TABLE "persona_revisions" ADD "id" uuid NOT NULL DEFAULT gen_random_uuid()`);
    await queryRunner.query(`ALTER TABLE "persona_revisions" ALTER COLUMN "id" DROP DEFAULT`);
    await queryRunner.query(`ALTER TABLE "persona_revisions" ADD CONSTRAINT "PK_6598926352247c8f0b0c80d8e90" PRIMARY KEY ("id")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "IDX_e015fc1323ddfe284623703303" ON "persona_revisions" ("personaId", "version") `);
    for (const { table, oldKey, newKey, unique } of CHILD_TABLES) {
      await queryRunner.query(`ALTER TABLE "${table}" ALTER COLUMN "position" SET DEFAULT '0'`);
      await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "${newKey}"`);
      await queryRunner.query(`ALTER TABLE "${table}" ADD "id" uuid NOT NULL DEFAULT gen_random_uuid()`);
      await queryRunner.query(`ALTER TABLE "${table}" ADD CONSTRAINT "${oldKey}" PRIMARY KEY ("id")`);
      await queryRunner.query(`CREATE UNIQUE INDEX "${unique}" ON "${table}" ("personaId", "name") `);
    }
  }
}
