import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { removeDir, waitFor } from './helpers/app';
import { ServerProcess, serverDataDir, startServer } from './helpers/server-process';
import { SseClient, openSse } from './helpers/sse';

const TOKEN = 'open-files-test-token-0123456789';
/** The service's soft and hard limit on open files in this test (prlimit). */
const LIMIT = 256;
/** Streams to open: with the ~30 files the service holds by itself, over 90 % of LIMIT and under it. */
const STREAMS = 215;

const hasPrlimit = (() => {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasPrlimit) console.warn('WARNING: prlimit (util-linux) not found: the open-files test is skipped');

/** The gauge's value in a /metrics text. */
function gauge(metrics: string, name: string): number {
  const match = new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics);
  if (!match) throw new Error(`${name} is not in /metrics`);
  return Number(match[1]);
}

describe('a service near its open-files limit', () => {
  let dir: string;
  let server: ServerProcess | null = null;
  const streams: SseClient[] = [];
  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    server?.child.kill('SIGKILL');
    await server?.exited;
    removeDir(dir);
  });

  (hasPrlimit ? it : it.skip)(
    'says so at start-up, says when the files in use near the limit and when they are clear again, and shows both in /metrics',
    async () => {
      let configPath: string;
      ({ dir, configPath } = serverDataDir('jobevents-open-files-', 1));
      const config = parse(readFileSync(configPath, 'utf8')) as { security: Record<string, unknown> };
      config.security.max_streams_per_client = 1000;
      writeFileSync(configPath, stringify(config));
      server = await startServer(configPath, TOKEN, dir, {}, undefined, ['prlimit', `--nofile=${LIMIT}`]);
      const { baseUrl, output } = server;
      expect(output()).toMatch(
        /\[api\] WARNING: At most 256 open files \(ulimit -n\): each SSE stream and HTTP connection holds one, so past about 56 at once new connections are reset; raise it to 4096 or more/,
      );

      const auth = { Authorization: `Bearer ${TOKEN}` };
      const metrics = async () => (await fetch(`${baseUrl}/metrics`, { headers: auth })).text();
      for (let i = 0; i < STREAMS; i++) streams.push(await openSse(`${baseUrl}/api/v1/events/stream`, auth));
      expect(streams.every((stream) => stream.status === 200)).toBe(true);
      // Files are counted at most once a second, as streams open and close.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      streams.push(await openSse(`${baseUrl}/api/v1/events/stream`, auth));
      await waitFor(
        () => /WARNING: \d+ of at most 256 open files in use: past the limit new connections are reset/.test(output()),
        5000,
        'the near-limit warning',
      );
      const near = await metrics();
      expect(gauge(near, 'process_max_fds')).toBe(LIMIT);
      expect(gauge(near, 'process_open_fds')).toBeGreaterThanOrEqual(0.9 * LIMIT);
      expect(output().match(/open files in use: past the limit/g)).toHaveLength(1);

      for (const stream of streams.splice(0)) stream.close();
      await waitFor(
        async () => gauge(await metrics(), 'jobevents_sse_streams_open') === 0,
        5000,
        'the streams to close',
      );
      await new Promise((resolve) => setTimeout(resolve, 1100));
      (await openSse(`${baseUrl}/api/v1/events/stream`, auth)).close();
      await waitFor(
        () => /\d+ of at most 256 open files in use: clear of the limit again/.test(output()),
        5000,
        'the all-clear',
      );
      expect(gauge(await metrics(), 'process_open_fds')).toBeLessThan(0.8 * LIMIT);
    },
  );
});
