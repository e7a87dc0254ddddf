import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { ConfigError, loadConfig } from './config/config.loader';
import { bindAddress, securitySummary } from './security/startup-checks';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`[config] ERROR: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(loaded);
  const log = new Logger('config');
  if (!loaded.loadedFromFile) log.warn(`No config file at ${loaded.path}; using built-in defaults`);
  else log.log(`Loaded ${loaded.path}`);
  const security = new Logger('security');
  const host = bindAddress(loaded.config.server);
  for (const line of securitySummary(loaded, host)) security[line.level](line.message);
  // Ctrl-C and SIGTERM close the app (streams end, the database closes) and exit 0.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void app.close().finally(() => process.exit(0));
    });
  }
  await app.listen(loaded.config.server.port, host);
  new Logger('api').log(`Listening on http://${host}:${loaded.config.server.port}`);
}

void main();
