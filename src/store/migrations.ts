/**
 * The schema, as an ordered list of migrations. Each is recorded by name in the `migrations` table
 * (the same table and names the service's earlier TypeORM runner used, so databases made by earlier
 * versions upgrade in place). SQL per engine: the same tables, in each engine's dialect.
 */
export interface Migration {
  name: string;
  timestamp: number;
  sqlite: readonly string[];
  postgres: readonly string[];
}

/** The `migrations` table, in each engine's dialect. */
export const MIGRATIONS_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS "migrations" (
    "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "timestamp" bigint NOT NULL, "name" varchar NOT NULL)`,
  postgres: `CREATE TABLE IF NOT EXISTS "migrations" (
    "id" serial PRIMARY KEY, "timestamp" bigint NOT NULL, "name" varchar NOT NULL)`,
};

/**
 * A database some newer version of the service migrated has tables this one does not know: it is
 * refused at start-up rather than written with the wrong schema.
 */
export function unknownMigrationsProblem(applied: Iterable<string>): string | null {
  const known = new Set(MIGRATIONS.map((migration) => migration.name));
  const unknown = [...applied].filter((name) => !known.has(name));
  if (unknown.length === 0) return null;
  return `the database has schema migrations this version does not know (${unknown.join(', ')}): it was upgraded by a newer version of the service; run that version, or restore a backup taken before the upgrade`;
}

const PG_INITIAL_SCHEMA: readonly string[] = [
  `CREATE TABLE "jobs" (
    "id" text PRIMARY KEY NOT NULL,
    "seq" bigint NOT NULL,
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
  )`,
  `CREATE UNIQUE INDEX "idx_jobs_seq" ON "jobs" ("seq")`,
  `CREATE INDEX "idx_jobs_status" ON "jobs" ("status")`,
  `CREATE TABLE "gates" (
    "job_id" text NOT NULL REFERENCES "jobs" ("id") ON DELETE CASCADE,
    "stage" text NOT NULL,
    "position" integer NOT NULL,
    "required" boolean NOT NULL,
    "approved" boolean,
    "by" text,
    "at" text,
    "notes" text,
    "patch" text,
    "auto_approved" boolean NOT NULL DEFAULT false,
    "timeout_seconds" integer,
    "auto_approve_at" text,
    PRIMARY KEY ("job_id", "stage")
  )`,
  `CREATE TABLE "artifacts" (
    "id" bigserial PRIMARY KEY,
    "job_id" text NOT NULL REFERENCES "jobs" ("id") ON DELETE CASCADE,
    "stage" text NOT NULL,
    "kind" text NOT NULL,
    "path" text NOT NULL,
    "meta" text NOT NULL,
    "created_at" text NOT NULL,
    "size_bytes" bigint NOT NULL,
    "checksum" text NOT NULL
  )`,
  `CREATE UNIQUE INDEX "idx_artifacts_job_id_path" ON "artifacts" ("job_id", "path")`,
  // Ids come from event_head, under its row lock: no sequence, so ids commit in id order (docs/CLUSTER.md).
  `CREATE TABLE "events" (
    "id" bigint PRIMARY KEY,
    "job_id" text NOT NULL,
    "ts" text NOT NULL,
    "type" text NOT NULL,
    "stage" text,
    "status" text,
    "message" text NOT NULL,
    "payload" text NOT NULL
  )`,
  `CREATE INDEX "idx_events_job_id_id" ON "events" ("job_id", "id")`,
  `CREATE INDEX "idx_events_ts_id" ON "events" ("ts", "id")`,
  // One row: the last event id and timestamp handed out. Every unit of work locks it first.
  `CREATE TABLE "event_head" (
    "singleton" boolean PRIMARY KEY DEFAULT true CHECK ("singleton"),
    "last_id" bigint NOT NULL,
    "last_ts" text NOT NULL
  )`,
  `INSERT INTO "event_head" ("singleton", "last_id", "last_ts") VALUES (true, 0, '')`,
];

export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'InitialSchema1763900000000',
    timestamp: 1763900000000,
    sqlite: [
      `CREATE TABLE "jobs" (
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
      )`,
      `CREATE UNIQUE INDEX "idx_jobs_seq" ON "jobs" ("seq")`,
      `CREATE INDEX "idx_jobs_status" ON "jobs" ("status")`,
      `CREATE TABLE "gates" (
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
      )`,
      `CREATE TABLE "artifacts" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "job_id" text NOT NULL REFERENCES "jobs" ("id") ON DELETE CASCADE,
        "stage" text NOT NULL,
        "kind" text NOT NULL,
        "path" text NOT NULL,
        "meta" text NOT NULL,
        "created_at" text NOT NULL,
        "size_bytes" integer NOT NULL,
        "checksum" text NOT NULL
      )`,
      `CREATE UNIQUE INDEX "idx_artifacts_job_id_path" ON "artifacts" ("job_id", "path")`,
      // AUTOINCREMENT: ids are never reused, even after retention deletes the newest rows.
      `CREATE TABLE "events" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "job_id" text NOT NULL,
        "ts" text NOT NULL,
        "type" text NOT NULL,
        "stage" text,
        "status" text,
        "message" text NOT NULL,
        "payload" text NOT NULL
      )`,
      // "Events of job X after id N" is a range scan of this index; "all events after N" is one of the primary key.
      `CREATE INDEX "idx_events_job_id_id" ON "events" ("job_id", "id")`,
    ],
    postgres: PG_INITIAL_SCHEMA,
  },
  {
    name: 'EventRetention1763990000000',
    timestamp: 1763990000000,
    // The newest event id retention removed from each job (null: none removed).
    sqlite: [`ALTER TABLE "jobs" ADD COLUMN "events_pruned_through" integer`],
    postgres: [`ALTER TABLE "jobs" ADD COLUMN "events_pruned_through" bigint`],
  },
  {
    name: 'JobLeases1764800000000',
    timestamp: 1764800000000,
    // Which instance runs the job, and until when its claim holds unless renewed.
    sqlite: [
      `ALTER TABLE "jobs" ADD COLUMN "lease_owner" text`,
      `ALTER TABLE "jobs" ADD COLUMN "lease_expires_at" text`,
    ],
    postgres: [
      `ALTER TABLE "jobs" ADD COLUMN "lease_owner" text`,
      `ALTER TABLE "jobs" ADD COLUMN "lease_expires_at" text`,
    ],
  },
  {
    name: 'EventJson1765000000000',
    timestamp: 1765000000000,
    // The event's JSON as served, after its id (domain/events.ts, jsonAfterId): polling sends it as it
    // is. Rows stored before this migration have none and are serialized from their columns.
    sqlite: [`ALTER TABLE "events" ADD COLUMN "json" text`],
    postgres: [`ALTER TABLE "events" ADD COLUMN "json" text`],
  },
  {
    name: 'PrunedThroughIndex1765100000000',
    timestamp: 1765100000000,
    // A global poll or stream resume reads MAX(events_pruned_through) over all jobs: one index seek
    // instead of a scan of the jobs table (1 ms a poll at 20,000 jobs without it, 3 µs with it).
    sqlite: [`CREATE INDEX "idx_jobs_events_pruned_through" ON "jobs" ("events_pruned_through")`],
    postgres: [`CREATE INDEX "idx_jobs_events_pruned_through" ON "jobs" ("events_pruned_through")`],
  },
  {
    name: 'JobsStatusSeqIndex1765200000000',
    timestamp: 1765200000000,
    // The queue's next job (status = 'queued' ORDER BY seq LIMIT 1) and a status filter's newest jobs:
    // one index seek instead of sorting every job of that status (0.5 ms a claim with 2,000 queued,
    // growing with the queue). It serves status-only lookups too, so the old index goes.
    sqlite: [`CREATE INDEX "idx_jobs_status_seq" ON "jobs" ("status", "seq")`, `DROP INDEX "idx_jobs_status"`],
    postgres: [`CREATE INDEX "idx_jobs_status_seq" ON "jobs" ("status", "seq")`, `DROP INDEX "idx_jobs_status"`],
  },
];
