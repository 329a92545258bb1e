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
    await queryRunner.query(`ALTER TABLE "personas" ADD COLUMN "interop" text`);
    await queryRunner.query(
      `UPDATE "personas" SET "interop" = json_extract("metadata", '$.interop'), "metadata" = json_remove("metadata", '$.interop') ` +
        `WHERE json_valid("metadata") AND json_type("metadata", '$.interop') = 'object' ` +
        `AND json_extract("metadata", '$.interop.format') IN ('card-v1', 'card-v2', 'card-v3', 'eliza') ` +
        `AND json_type("metadata", '$.interop.remainder') = 'object' AND json_type("metadata", '$.interop.fields') = 'object'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE "personas" SET "metadata" = json_set("metadata", '$.interop', json("interop")) WHERE "interop" IS NOT NULL AND json_type("metadata", '$.interop') IS NULL`,
    );
    await queryRunner.query(`ALTER TABLE "personas" DROP COLUMN "interop"`);
  }
}
