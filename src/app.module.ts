import { DynamicModule, Module, ValueProvider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AppLogger } from './common/app-logger';
import { InstanceLock } from './common/instance-lock';
import { LoadedConfig } from './config/config.loader';
import { BusModule } from './bus/bus.module';
import { EventBus } from './bus/bus.port';
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
import { Store } from './store/store.port';

/** What createApp opens before the app is built: the data lock (SQLite only), the store and the bus. */
export interface Engines {
  lock?: InstanceLock;
  store: Store;
  bus: EventBus;
}

@Module({})
export class AppModule {
  /** `logger`: the console logger the app is created with, for the sinks that batch their lines. */
  static register(loaded: LoadedConfig, engines: Engines, logger: AppLogger): DynamicModule {
    const { lock, store, bus } = engines;
    const providers: ValueProvider[] = [{ provide: AppLogger, useValue: logger }];
    if (lock) providers.push({ provide: InstanceLock, useValue: lock });
    return {
      module: AppModule,
      global: true,
      providers,
      exports: providers.map((provider) => provider.provide),
      imports: [
        ConfigModule.forRoot(loaded),
        ScheduleModule.forRoot(),
        StoreModule.forRoot(store),
        BusModule.forRoot(bus),
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
