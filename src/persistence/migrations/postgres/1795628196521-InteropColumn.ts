import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The interchange record of imported personas gets its own column (`personas.interop`, at most
 * 1 MiB), so it no longer counts against the 64 KiB of `metadata`. Records stored by earlier
 * versions under `metadata.interop` (an object with a card or Eliza `format`, a `remainder`
 * and `fields`) are moved there; anything else under `metadata.interop` is the owner's own data
 * and stays.
 */
export class InteropColumn1795628196521 implements MigrationInterface {
  name = 'InteropColumn1795628196521';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "personas" ADD "interop" text`);
    await queryRunner.query(
      `UPDATE "personas" SET "interop" = ("metadata"::jsonb -> 'interop')::text, "metadata" = ("metadata"::jsonb - 'interop')::text ` +
        `WHERE jsonb_typeof("metadata"::jsonb -> 'interop') = 'object' ` +
        `AND "metadata"::jsonb -> 'interop' ->> 'format' IN ('card-v1', 'card-v2', 'card-v3', 'eliza') ` +
        `AND jsonb_typeof("metadata"::jsonb -> 'interop' -> 'remainder') = 'object' AND jsonb_typeof("metadata"::jsonb -> 'interop' -> 'fields') = 'object'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "personas" SET "metadata" = jsonb_set("metadata"::jsonb, '{interop}', "interop"::jsonb)::text WHERE "interop" IS NOT NULL AND NOT ("metadata"::jsonb ? 'interop')`,
    );
    await queryRunner.query(`ALTER TABLE "personas" DROP COLUMN "interop"`);
  }
}
