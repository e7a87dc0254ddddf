import { accessSync, constants } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { ConfigSource } from '../config/config.module';
import { RunPaths } from '../config/run-paths';
import { Sqlite } from '../database/database.module';
import { version } from '../../package.json';

export interface HealthReport {
  ok: boolean;
  status: 'healthy' | 'unhealthy';
  timestamp: string;
  version: string;
  services: { database: string; storage: string; configuration: string };
}

@Injectable()
export class HealthService {
  constructor(
    private readonly sqlite: Sqlite,
    private readonly paths: RunPaths,
    private readonly source: ConfigSource,
  ) {}

  check(): HealthReport {
    const services = {
      database: probe(() => this.sqlite.db.prepare('SELECT 1').get()),
      storage: probe(() => accessSync(this.paths.runsDir, constants.W_OK)),
      configuration: this.source.loadedFromFile ? 'healthy' : 'healthy (built-in defaults)',
    };
    const ok = services.database === 'healthy' && services.storage === 'healthy';
    return { ok, status: ok ? 'healthy' : 'unhealthy', timestamp: new Date().toISOString(), version, services };
  }
}

function probe(check: () => unknown): string {
  try {
    check();
    return 'healthy';
  } catch (error) {
    return `unhealthy: ${error instanceof Error ? error.message : String(error)}`;
  }
}
