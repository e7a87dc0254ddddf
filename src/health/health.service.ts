import { accessSync, constants } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { ConfigSource } from '../config/config.module';
import { RunPaths } from '../config/run-paths';
import { Store } from '../store/store.port';
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
    private readonly store: Store,
    private readonly paths: RunPaths,
    private readonly source: ConfigSource,
  ) {}

  async check(): Promise<HealthReport> {
    const services = {
      database: await probe(() => this.store.ping()),
      storage: await probe(() => accessSync(this.paths.runsDir, constants.W_OK)),
      configuration: this.source.loadedFromFile ? 'healthy' : 'healthy (built-in defaults)',
    };
    const ok = services.database === 'healthy' && services.storage === 'healthy';
    return { ok, status: ok ? 'healthy' : 'unhealthy', timestamp: new Date().toISOString(), version, services };
  }
}

async function probe(check: () => unknown): Promise<string> {
  try {
    await check();
    return 'healthy';
  } catch (error) {
    return `unhealthy: ${error instanceof Error ? error.message : String(error)}`;
  }
}
