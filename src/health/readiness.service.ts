import { accessSync, constants, statfsSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { EventBus } from '../bus/bus.port';
import { OperatorConfig } from '../config/operator-config';
import { RunPaths } from '../config/run-paths';
import { StoreUnavailable } from '../domain/errors';
import { Store } from '../store/store.port';

export interface ReadinessReport {
  status: 'ready';
  storage: string;
  bus: string;
  instance_id: string;
}

/**
 * Whether a write would succeed now (docs/OPERATIONS.md, "Monitoring"): the store takes its write
 * lock, the bus reaches the other instances (cluster mode), and the runs dir is writable with more free space than storage.min_free_mb. /healthz stays
 * liveness; this is what a balancer or an orchestrator should route by.
 */
@Injectable()
export class ReadinessService {
  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly config: OperatorConfig,
    private readonly paths: RunPaths,
  ) {}

  /** The report, or StoreUnavailable (503 with Retry-After) naming what is wrong. */
  async check(): Promise<ReadinessReport> {
    await this.store.checkWritable();
    await this.bus.check();
    const problem = this.runsDirProblem();
    if (problem) throw new StoreUnavailable(problem, 30);
    return {
      status: 'ready',
      storage: this.config.storage.engine,
      bus: this.bus.engine,
      instance_id: this.config.cluster.instance_id,
    };
  }

  /** Why the runs dir cannot take files now, or null. */
  runsDirProblem(): string | null {
    const dir = this.paths.runsDir;
    try {
      accessSync(dir, constants.W_OK);
      const { bavail, bsize } = statfsSync(dir);
      const freeMb = Math.floor((bavail * bsize) / 2 ** 20);
      const floor = this.config.storage.min_free_mb;
      if (freeMb < floor) return `Only ${freeMb} MB free in the runs dir ${dir} (storage.min_free_mb is ${floor})`;
      return null;
    } catch (error) {
      return `The runs dir ${dir} is not writable: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}
