import { MigrationInterface, QueryRunner } from 'typeorm';

/** Retention bookkeeping: the newest event id retention removed from each job (null: none removed). */
export class EventRetention1763990000000 implements MigrationInterface {
  name = 'EventRetention1763990000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" ADD COLUMN "events_pruned_through" integer`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "jobs" DROP COLUMN "events_pruned_through"`);
  }
}
