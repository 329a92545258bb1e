import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * The name index of the persona list carries what choosing a page reads besides the sort key:
 * the visibility columns (`isPublic`, `createdBy`) and the current `version` that the page's
 * revisions are joined on. An owner's or an admin's page in name order is then read from the
 * index alone, without a lookup of the wide persona row per candidate (docs/scaling.md).
 */
export class ListPageIndex1795710000000 implements MigrationInterface {
    name = 'ListPageIndex1795710000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "IDX_personas_name_page" ON "personas" ("name", "id", "isPublic", "createdBy", "version") `);
        await queryRunner.query(`DROP INDEX "IDX_eb9bc0e91e97119ae84b3dfad1"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "IDX_eb9bc0e91e97119ae84b3dfad1" ON "personas" ("name", "id") `);
        await queryRunner.query(`DROP INDEX "IDX_personas_name_page"`);
    }

}
