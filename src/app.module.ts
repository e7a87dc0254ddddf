import { DynamicModule, Module } from '@nestjs/common';
import { LoadedConfig } from './config/config.loader';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { JobsModule } from './jobs/jobs.module';
import { SecurityModule } from './security/security.module';

@Module({})
export class AppModule {
  static register(loaded: LoadedConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [ConfigModule.forRoot(loaded), DatabaseModule, SecurityModule, EventsModule, JobsModule, HealthModule],
    };
  }
}
