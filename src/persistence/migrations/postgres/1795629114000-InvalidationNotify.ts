import { MigrationInterface, QueryRunner } from 'typeorm';

/** The channel `PersonaRuntime` with `invalidation: 'notify'` listens on; each payload is one persona id (36 bytes), or `*` after a TRUNCATE (everything). */
export const INVALIDATION_CHANNEL = 'conductor_personas_changed';

/** The tables whose rows belong to one persona, with the column naming it. */
const WATCHED: [table: string, column: string][] = [
  ['personas', 'id'],
  ['persona_traits', 'personaId'],
  ['persona_knowledge_domains', 'personaId'],
  ['persona_behavior_rules', 'personaId'],
  ['persona_labels', 'personaId'],
];

/**
 * PostgreSQL only: every insert, update or delete of a persona, of one of its child rows or of
 * one of its labels sends `NOTIFY conductor_personas_changed, '<persona id>'`, from whichever
 * process writes, inside the writing transaction (PostgreSQL delivers it at commit, and never for
 * a rollback). Triggers cover every writer, the library's own and any other.
 */
export class InvalidationNotify1795629114000 implements MigrationInterface {
  name = 'InvalidationNotify1795629114000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE FUNCTION "persona_notify_truncated"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('${INVALIDATION_CHANNEL}', '*'); RETURN NULL; END $$`);
    for (const [table, column] of WATCHED) {
      await queryRunner.query(
        `CREATE OR REPLACE FUNCTION "${table}_notify_changed"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN ` +
          `IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('${INVALIDATION_CHANNEL}', OLD."${column}"::text); END IF; ` +
          `IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW."${column}" IS DISTINCT FROM OLD."${column}") THEN PERFORM pg_notify('${INVALIDATION_CHANNEL}', NEW."${column}"::text); END IF; ` +
          `RETURN NULL; END $$`,
      );
      await queryRunner.query(`CREATE TRIGGER "${table}_notify_changed" AFTER INSERT OR UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION "${table}_notify_changed"()`);
      // TRUNCATE fires no row trigger: it says '*', everything.
      await queryRunner.query(`CREATE TRIGGER "${table}_notify_truncated" AFTER TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION "persona_notify_truncated"()`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table] of WATCHED) {
      await queryRunner.query(`DROP TRIGGER IF EXISTS "${table}_notify_truncated" ON "${table}"`);
      await queryRunner.query(`DROP TRIGGER IF EXISTS "${table}_notify_changed" ON "${table}"`);
      await queryRunner.query(`DROP FUNCTION IF EXISTS "${table}_notify_changed"()`);
    }
    await queryRunner.query(`DROP FUNCTION IF EXISTS "persona_notify_truncated"()`);
  }
}
