import { Injectable } from '@nestjs/common';
import { ConfigError, loadConfig } from '../config/config.loader';
import { ConfigSource } from '../config/config.module';
import { OperatorConfig } from '../config/operator-config';
import { redactUrl } from '../config/urls';
import { HealthService } from './health.service';
import { ReadinessService } from './readiness.service';

export interface ValidationReport {
  valid: boolean;
  message: string;
  timestamp: string;
}

/** GET /config/operator and POST /config/validate (docs/API.md). */
@Injectable()
export class ConfigReportService {
  constructor(
    private readonly config: OperatorConfig,
    private readonly source: ConfigSource,
    private readonly health: HealthService,
    private readonly readiness: ReadinessService,
  ) {}

  /**
   * The running config without any secret: the default token is left out, not masked, the values of
   * pipeline.command_env (a pipeline's own keys, often) are shown as ***, and so are the passwords of
   * the engines' URLs.
   */
  sanitized(): Record<string, unknown> {
    const copy = JSON.parse(JSON.stringify(this.config)) as {
      security: Record<string, unknown>;
      pipeline: { command_env: Record<string, string> };
      storage: { postgres_url: string };
      bus: { nats_url: string };
    };
    delete copy.security.default_token;
    for (const name of Object.keys(copy.pipeline.command_env)) copy.pipeline.command_env[name] = '***';
    copy.storage.postgres_url = redactUrl(copy.storage.postgres_url);
    copy.bus.nats_url = redactUrl(copy.bus.nats_url);
    return { ...copy, source: { path: this.source.path, loaded_from_file: this.source.loadedFromFile } };
  }

  /** Re-reads the config file and checks the database and the runs dir; never throws. */
  async validate(): Promise<ValidationReport> {
    const timestamp = new Date().toISOString();
    try {
      const reloaded = loadConfig({ path: this.source.path });
      const report = await this.health.check();
      if (!report.ok) {
        const problems = Object.entries(report.services).filter(([, state]) => !state.startsWith('healthy'));
        return { valid: false, message: problems.map(([name, state]) => `${name}: ${state}`).join('; '), timestamp };
      }
      // Healthy is not enough: a full disk or a lock held elsewhere means writes fail now.
      const notReady = await this.readiness.check().then(
        () => null,
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      if (notReady) return { valid: false, message: notReady, timestamp };
      const origin = reloaded.loadedFromFile ? reloaded.path : `no file at ${reloaded.path}: built-in defaults`;
      return { valid: true, message: `Configuration valid (${origin}); database and runs dir usable`, timestamp };
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : `Could not check: ${String(error)}`;
      return { valid: false, message, timestamp };
    }
  }
}
