import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763900000000 implements MigrationInterface {
  name = 'InitialSchema1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "jobs" (
        "id" text PRIMARY KEY NOT NULL,
        "seq" integer NOT NULL,
        "slug" text NOT NULL,
        "intent" text NOT NULL,
        "status" text NOT NULL,
        "stage" text NOT NULL,
        "cfg" text NOT NULL,
        "operator" text NOT NULL,
        "error" text,
        "created_at" text NOT NULL,
        "updated_at" text NOT NULL,
        "started_at" text,
        "deadline_at" text
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_jobs_seq" ON "jobs" ("seq")`);
    await queryRunner.query(`CREATE INDEX "idx_jobs_status" ON "jobs" ("status")`);
    await queryRunner.query(`
      CREATE TABLE "gates" (
        "job_id" text NOT NULL REFERENCES "jobs" ("id") ON DELETE CASCADE,
        "stage" text NOT NULL,
        "position" integer NOT NULL,
        "required" boolean NOT NULL,
        "approved" boolean,
        "by" text,
        "at" text,
        "notes" text,
        "patch" text,
        "auto_approved" boolean NOT NULL DEFAULT (0),
        "timeout_seconds" integer,
        "auto_approve_at" text,
        PRIMARY KEY ("job_id", "stage")
      )`);
    await queryRunner.query(`
      CREATE TABLE "artifacts" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "job_id" text NOT NULL REFERENCES "jobs" ("id") ON DELETE CASCADE,
        "stage" text NOT NULL,
        "kind" text NOT NULL,
        "path" text NOT NULL,
        "meta" text NOT NULL,
        "created_at" text NOT NULL,
        "size_bytes" integer NOT NULL,
        "checksum" text NOT NULL
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_artifacts_job_id_path" ON "artifacts" ("job_id", "path")`);
    // AUTOINCREMENT: ids are never reused, even after retention deletes the newest rows.
    await queryRunner.query(`
      CREATE TABLE "events" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "job_id" text NOT NULL,
        "ts" text NOT NULL,
        "type" text NOT NULL,
        "stage" text,
        "status" text,
        "message" text NOT NULL,
        "payload" text NOT NULL
      )`);
    // "Events of job X after id N" is a range scan of this index; "all events after N" is one of the primary key.
    await queryRunner.query(`CREATE INDEX "idx_events_job_id_id" ON "events" ("job_id", "id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "events"`);
    await queryRunner.query(`DROP TABLE "artifacts"`);
    await queryRunner.query(`DROP TABLE "gates"`);
    await queryRunner.query(`DROP TABLE "jobs"`);
  }
}
