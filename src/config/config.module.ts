import { DynamicModule, Global, Module } from '@nestjs/common';
import { LoadedConfig } from './config.loader';
import { OperatorConfig } from './operator-config';
import { RunPaths } from './run-paths';

/** The secret, as its own injectable so that nothing serializing OperatorConfig can reach it. */
export class AdminToken {
  constructor(
    readonly value: string,
    readonly isDefault: boolean,
  ) {}
}

/** Where the config came from (for start-up logs and /config/validate). */
export class ConfigSource {
  constructor(
    readonly path: string,
    readonly loadedFromFile: boolean,
  ) {}
}

@Global()
@Module({})
export class ConfigModule {
  static forRoot(loaded: LoadedConfig): DynamicModule {
    const { config } = loaded;
    const providers = [
      { provide: OperatorConfig, useValue: config },
      { provide: AdminToken, useValue: new AdminToken(loaded.adminToken, loaded.isDefaultToken) },
      { provide: ConfigSource, useValue: new ConfigSource(loaded.path, loaded.loadedFromFile) },
      { provide: RunPaths, useValue: new RunPaths(config.storage.runs_dir, config.storage.artifacts_dir) },
    ];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
