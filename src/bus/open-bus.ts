import { OperatorConfig } from '../config/operator-config';
import { Store } from '../store/store.port';
import { EventBus } from './bus.port';
import { LocalBus } from './local/local-bus';
import { NatsBus } from './nats/nats-bus';

/** The bus adapter bus.engine names, connected (StartupError with one line if it cannot be). */
export async function openBus(config: OperatorConfig, store: Store): Promise<EventBus> {
  if (config.bus.engine === 'nats') {
    return NatsBus.open(
      { url: config.bus.nats_url, stream: config.bus.stream, instanceId: config.cluster.instance_id },
      store,
    );
  }
  return new LocalBus();
}
