import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { RequestListener, Server } from 'node:http';
import { join } from 'node:path';
import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, Engines } from './app.module';
import { openBus } from './bus/open-bus';
import { AppLogger, LineSink } from './common/app-logger';
import { InstanceLock } from './common/instance-lock';
import { StartupError } from './common/startup-error';
import { HttpExceptionFilter } from './common/http-exception.filter';
import { jsonBody } from './common/json-body';
import { serveOpenApi } from './common/openapi';
import { requestLine, requestLog } from './common/request-log';
import { LoadedConfig } from './config/config.loader';
import { urlPasswords } from './config/urls';
import { PollFastPath } from './events/poll-fast-path';
import { negotiateEventStream } from './events/stream-negotiation';
import { httpMetrics } from './metrics/http-metrics';
import { MetricsService } from './metrics/metrics.service';
import { apiSecurityHeaders, applyHttpHardening } from './security/http-hardening';
import { RateLimits } from './security/rate-limits';
import { openStore } from './store/open-store';
import { Store } from './store/store.port';

export const API_PREFIX = 'api/v1';
export const BODY_LIMIT = '1mb';

/** The runs dir exists or can be made, and a file can be written in it: else one line, before anything opens. */
function checkRunsDir(runsDir: string): void {
  const probe = join(runsDir, `.write-check-${process.pid}`);
  try {
    mkdirSync(runsDir, { recursive: true });
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new StartupError(
      'storage',
      `runs dir ${runsDir} is not writable (${code}); fix storage.runs_dir or its permissions`,
    );
  }
}

export interface CreateAppOptions {
  /** Where console lines go (stdout by default; tests and the bench send them to a file). */
  logSink?: LineSink;
}

/** Builds the whole app (used by main.ts, the e2e tests and the bench, so all run the same thing). */
export async function createApp(loaded: LoadedConfig, options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const { config } = loaded;
  const logger = new AppLogger(
    config.server.log_level,
    [loaded.adminToken, ...urlPasswords(config.storage.postgres_url, config.bus.nats_url)],
    options.logSink,
    config.server.log_format,
  );
  checkRunsDir(config.storage.runs_dir);
  const engines = await openEngines(config);
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.register(loaded, engines, logger), {
      logger,
      bodyParser: false,
      // Streams are ended before the server closes; keep-alive sockets left open must not hold the exit.
      forceCloseConnections: true,
    });
  } catch (error) {
    await closeEngines(engines);
    throw error;
  }
  const metrics = app.get(MetricsService);
  app.use(httpMetrics(metrics));
  const logRequest = logger.isEnabled('debug') ? requestLine() : undefined;
  if (logRequest) app.use(requestLog(logRequest));
  applyHttpHardening(app, config);
  app.use(negotiateEventStream);
  app.use(jsonBody(BODY_LIMIT, config.server.request_timeout_s * 1000));
  app.setGlobalPrefix(API_PREFIX, {
    exclude: ['healthz', `${API_PREFIX}/healthz`, 'readyz', `${API_PREFIX}/readyz`, 'metrics'],
  });
  app.useGlobalFilters(new HttpExceptionFilter((text) => logger.redact(text)));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      stopAtFirstError: true,
      transform: true,
      exceptionFactory: (errors) => new BadRequestException(describeValidationErrors(errors)),
    }),
  );
  app.set('x-powered-by', false);
  // req.ip (rate limits, stream caps) from X-Forwarded-For only through the configured proxies.
  app.set('trust proxy', config.server.trust_proxy);
  // No ETag: nothing revalidates with If-None-Match, and hashing every body costs the hot routes.
  app.set('etag', false);
  // Slow headers too: Node's own limits, from 5 min down to the same bound (it checks every 30 s).
  const server = app.getHttpServer() as Server;
  server.requestTimeout = config.server.request_timeout_s * 1000;
  server.headersTimeout = Math.min(server.headersTimeout, server.requestTimeout);
  serveOpenApi(app);
  // Polls with a valid token and query skip Express and Nest's pipeline (events/poll-fast-path.ts).
  const fastPath = app.get(PollFastPath);
  const rateLimits = app.get(RateLimits);
  if (fastPath.applies) {
    const [routed] = server.listeners('request') as RequestListener[];
    server.removeListener('request', routed);
    server.on(
      'request',
      fastPath.listener(routed, {
        securityHeaders: apiSecurityHeaders(config),
        countAnswer: (route, status) => metrics.httpRequest(route, status),
        logRequest,
        rateLimits: rateLimits.isOn ? rateLimits : undefined,
      }),
    );
  }
  return app;
}

/**
 * The data lock, the store and the bus, in that order, each closed again if a later one fails. The
 * embedded store is this process's alone: a second instance on the same files stops at the lock
 * (DataInUse). In cluster mode the instances share the database and the runs dir by design, and the
 * database refuses a second instance with the same instance_id instead.
 */
async function openEngines(config: LoadedConfig['config']): Promise<Engines> {
  let lock: InstanceLock | undefined;
  if (config.storage.engine === 'sqlite') {
    lock = new InstanceLock();
    lock.acquire(lockPaths(config), config.server.port);
  }
  let store: Store | undefined;
  try {
    store = await openStore(config);
    return { lock, store, bus: await openBus(config, store) };
  } catch (error) {
    await store?.close().catch(() => undefined);
    lock?.release();
    throw error;
  }
}

async function closeEngines({ lock, store, bus }: Engines): Promise<void> {
  await bus.close().catch(() => undefined);
  await store.close().catch(() => undefined);
  lock?.release();
}

/** One lock beside the SQLite file (unless in memory) and one in the runs dir. */
function lockPaths(config: LoadedConfig['config']): string[] {
  const paths = [join(config.storage.runs_dir, '.instance.lock')];
  if (config.storage.db_path !== ':memory:') paths.push(`${config.storage.db_path}.lock`);
  return paths;
}

/** "slug must be a string; intent should not be empty" — every failing field named. */
export function describeValidationErrors(errors: ValidationError[], prefix = ''): string {
  return errors
    .flatMap((error) => {
      const path = prefix ? `${prefix}.${error.property}` : error.property;
      const own = Object.values(error.constraints ?? {});
      const nested = error.children?.length ? [describeValidationErrors(error.children, path)] : [];
      return [...own, ...nested];
    })
    .join('; ');
}
