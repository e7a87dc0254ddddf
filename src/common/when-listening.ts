import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';

/**
 * Runs `start` once the HTTP port is bound (at once if it already is): work that changes stored
 * data at start-up (recovery, retention) must not run in an instance that cannot listen and is
 * about to exit.
 */
export function whenListening(adapterHost: HttpAdapterHost, start: () => void): void {
  const server = adapterHost.httpAdapter.getHttpServer() as Server;
  if (server.listening) start();
  else server.once('listening', start);
}
