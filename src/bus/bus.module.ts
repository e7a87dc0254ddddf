import { Global, Module } from '@nestjs/common';
import { EventBus } from './bus.port';
import { LocalBus } from './local/local-bus';

/** The bus port and its adapter: the in-process RxJS bus (the embedded default). */
@Global()
@Module({
  providers: [{ provide: EventBus, useClass: LocalBus }],
  exports: [EventBus],
})
export class BusModule {}
