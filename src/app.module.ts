import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { InstanceLock } from './common/instance-lock';
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
  static register(loaded: LoadedConfig, lock?: InstanceLock): DynamicModule {
    return {
      module: AppModule,
      global: true,
      providers: lock ? [{ provide: InstanceLock, useValue: lock }] : [],
      exports: lock ? [InstanceLock] : [],
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
