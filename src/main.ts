import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './bootstrap';
import { StartupError } from './common/startup-error';
import { openFilesLimit } from './common/open-files';
import { ConfigError, loadConfig } from './config/config.loader';
import { bindAddress, clusterSummary, openFilesSummary, securitySummary } from './security/startup-checks';

const SHUTDOWN_DEADLINE_MS = 4500;

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
  // One line on stderr, in the configured log format (a config that did not load is always text).
  const { log_format: format } = loaded.config.server;
  const fail = (context: string, message: string): never => {
    process.stderr.write(
      format === 'json'
        ? JSON.stringify({ time: new Date().toISOString(), level: 'error', context, message }) + '\n'
        : `[${context}] ERROR: ${message}\n`,
    );
    process.exit(1);
  };
  let app;
  try {
    app = await createApp(loaded);
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    return fail(error.context, error.message);
  }
  const log = new Logger('config');
  if (!loaded.loadedFromFile) log.warn(`No config file at ${loaded.path}; using built-in defaults`);
  else log.log(`Loaded ${loaded.path}`);
  for (const line of clusterSummary(loaded.config)) new Logger('cluster')[line.level](line.message);
  const security = new Logger('security');
  const host = bindAddress(loaded.config.server);
  for (const line of securitySummary(loaded, host)) security[line.level](line.message);
  for (const line of openFilesSummary(openFilesLimit())) new Logger('api')[line.level](line.message);
  // SIGTERM and Ctrl-C: stop accepting, end every stream with a `shutdown` frame, close the database,
  // exit 0 (Nest's own hooks would re-raise the signal, a signal death). Events are written
  // synchronously, so nothing emitted before the signal can be lost; a stuck close still exits in 5 s.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      new Logger('api').log(`${signal}: shutting down`);
      setTimeout(() => process.exit(0), SHUTDOWN_DEADLINE_MS).unref();
      void app.close().finally(() => process.exit(0));
    });
  }
  try {
    await app.listen(loaded.config.server.port, host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    const reason = code === 'EADDRINUSE' ? 'is in use by another process' : 'may not be bound by this user';
    await app.close();
    fail('api', `${host}:${loaded.config.server.port} ${reason}; stop it or choose another server.port (or PORT)`);
  }
  new Logger('api').log(`Listening on http://${host}:${loaded.config.server.port}`);
}

void main();
