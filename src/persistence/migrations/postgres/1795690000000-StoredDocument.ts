import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `personas.storedDocument`: the persona as its author set it, written with every version, so
 * that a list page or a lookup builds each persona from its own row (docs/scaling.md). Rows
 * written before stay null and are read from the child tables until their next version.
 */
export class StoredDocument1795690000000 implements MigrationInterface {
  name = 'StoredDocument1795690000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "personas" ADD COLUMN "storedDocument" text`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "personas" DROP COLUMN "storedDocument"`);
  }
}
