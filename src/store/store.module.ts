import { Global, Inject, Module, OnApplicationShutdown, Optional } from '@nestjs/common';
import { InstanceLock } from '../common/instance-lock';
import { OperatorConfig } from '../config/operator-config';
import { SqliteStore } from './sqlite/sqlite-store';
import { Store } from './store.port';

/** The store port and its adapter, chosen from the config (SQLite, the embedded default). */
@Global()
@Module({
  providers: [
    {
      provide: Store,
      inject: [OperatorConfig],
      useFactory: (config: OperatorConfig) => new SqliteStore(config.storage.db_path, config.storage.busy_timeout_ms),
    },
  ],
  exports: [Store],
})
export class StoreModule implements OnApplicationShutdown {
  constructor(
    @Inject(Store) private readonly store: Store,
    @Optional() private readonly lock?: InstanceLock,
  ) {}

  /** Runs last (this global module shuts down after the others); the data is free once it is closed. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.lock?.release();
  }
}
