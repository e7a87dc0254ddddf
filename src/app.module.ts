import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LoadedConfig } from './config/config.loader';
import { BusModule } from './bus/bus.module';
import { ConfigModule } from './config/config.module';
import { ConsoleModule } from './console/console.module';
import { EventsModule } from './events/events.module';
import { GatesModule } from './gates/gates.module';
import { HealthModule } from './health/health.module';
import { LifecycleModule } from './lifecycle/lifecycle.module';
import { JobsModule } from './jobs/jobs.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrchestratorModule } from './orchestrator/orchestrator.module';
import { SecurityModule } from './security/security.module';
import { SinksModule } from './sinks/sinks.module';
import { StoreModule } from './store/store.module';

@Module({})
export class AppModule {
  static register(loaded: LoadedConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(loaded),
        ScheduleModule.forRoot(),
        StoreModule,
        BusModule,
        LifecycleModule,
        SinksModule,
        MetricsModule,
        SecurityModule,
        EventsModule,
        JobsModule,
        OrchestratorModule,
        GatesModule,
        HealthModule,
        ConsoleModule,
      ],
    };
  }
}
