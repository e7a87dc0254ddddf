import { OperatorConfig } from '../config/operator-config';
import { PgStore } from './postgres/pg-store';
import { SqliteStore } from './sqlite/sqlite-store';
import { Store } from './store.port';

/** The store adapter storage.engine names, open and migrated (StartupError with one line if it cannot be). */
export async function openStore(config: OperatorConfig): Promise<Store> {
  const { storage, cluster } = config;
  if (storage.engine === 'postgres') {
    return PgStore.open(storage.postgres_url, cluster.instance_id, storage.busy_timeout_ms);
  }
  return new SqliteStore(storage.db_path, storage.busy_timeout_ms);
}
