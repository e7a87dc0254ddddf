import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { OperatorConfig } from '../config/operator-config';
import { ArtifactEntity } from './entities/artifact.entity';
import { EventEntity } from './entities/event.entity';
import { GateEntity } from './entities/gate.entity';
import { JobEntity } from './entities/job.entity';
import { InitialSchema1763900000000 } from './migrations/1763900000000-initial-schema';
import { EventRetention1763990000000 } from './migrations/1763990000000-event-retention';

export const ENTITIES = [JobEntity, GateEntity, ArtifactEntity, EventEntity];
export const MIGRATIONS = [InitialSchema1763900000000, EventRetention1763990000000];

/**
 * The raw better-sqlite3 handle of TypeORM's single connection. Writes that must commit together
 * with their event run as synchronous statements on it: TypeORM's async transactions share this one
 * connection, so an emit from elsewhere could land inside them (and event ids must follow emit order).
 */
export abstract class Sqlite {
  abstract readonly db: Database;
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [OperatorConfig],
      useFactory: (config: OperatorConfig) => {
        if (config.storage.db_path !== ':memory:') mkdirSync(dirname(config.storage.db_path), { recursive: true });
        return {
          type: 'better-sqlite3' as const,
          database: config.storage.db_path,
          entities: ENTITIES,
          migrations: MIGRATIONS,
          migrationsRun: true,
          synchronize: false,
          // WAL lets readers (polling, SSE replay) run while a write commits; the busy timeout covers
          // a second process (an operator's sqlite3 shell) holding the write lock for a moment.
          enableWAL: true,
          timeout: 5000,
          prepareDatabase: (db: Database) => {
            db.pragma('synchronous = NORMAL');
            db.pragma('foreign_keys = ON');
          },
        };
      },
    }),
    TypeOrmModule.forFeature(ENTITIES),
  ],
  providers: [
    {
      provide: Sqlite,
      inject: [DataSource],
      useFactory: (dataSource: DataSource): Sqlite => ({
        db: (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection,
      }),
    },
  ],
  exports: [TypeOrmModule, Sqlite],
})
export class DatabaseModule {}
