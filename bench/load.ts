import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { BenchApp } from './bench-app';

export interface LoadResult {
  /** Requests per second over the measured run (autocannon's average of its per-second samples). */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than 2xx, and connection errors. */
  failures: number;
}

/** The server under load: the bench's app, or a bare server of the limits run (bench/limits.ts). */
export type LoadTarget = Pick<BenchApp, 'baseUrl' | 'token'>;

export interface LoadOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  connections: number;
  seconds: number;
  /** Untimed seconds first (JIT, caches), from the same process. */
  warmUpSeconds: number;
}

const AUTOCANNON = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');

/**
 * Request rate from autocannon in a process of its own (the load generator must not share the
 * server's event loop, nor its core's time slices with it more than the OS does).
 */
export async function measureLoad(bench: LoadTarget, path: string, options: LoadOptions): Promise<LoadResult> {
  if (options.warmUpSeconds > 0) await runAutocannon(bench, path, { ...options, seconds: options.warmUpSeconds });
  return runAutocannon(bench, path, options);
}

interface AutocannonJson {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

function runAutocannon(bench: LoadTarget, path: string, options: LoadOptions): Promise<LoadResult> {
  const args = [
    AUTOCANNON,
    '--json',
    '-c',
    String(options.connections),
    '-d',
    String(options.seconds),
    '-m',
    options.method ?? 'GET',
    '-H',
    `Authorization=Bearer ${bench.token}`,
  ];
  if (options.body !== undefined) args.push('-H', 'Content-Type=application/json', '-b', JSON.stringify(options.body));
  args.push(`${bench.baseUrl}${path}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.once('error', reject);
    child.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`autocannon exited ${code}`);
        const result = JSON.parse(out) as AutocannonJson;
        resolve({
          rps: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          failures: result.non2xx + result.errors,
        });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}
