// Top-level, not in bench/ or test/: both import it as equals, and tsconfig.build.json compiles it for dist/bench.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import { stringify } from 'yaml';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/config.loader';
import { deepMerge } from '../src/config/deep-merge';
import { OperatorConfig } from '../src/config/operator-config';

export interface KitAppOptions {
  /** The admin token (ADMIN_TOKEN) the app is started with. */
  token: string;
  /** The caller's own config keys, merged deep over the kit's (HTTP on 127.0.0.1, storage in the dir). */
  config?: Record<string, unknown>;
  /** Merged deep over `config`: what one test or measurement changes. */
  overrides?: Record<string, unknown>;
  /** Boot on this dir (e.g. a restart on the same data): the caller owns it, so close() leaves it. */
  dir?: string;
  /** Name prefix of the temp dir the kit makes when no `dir` is given; close() removes that one. */
  prefix?: string;
  /** Runs once the app has closed, before the kit removes its temp dir (e.g. to read the console log). */
  onClosed?: (app: KitApp) => void;
}

export interface KitApp {
  app: NestExpressApplication;
  /** The config as loaded and validated (storage paths resolved). */
  config: OperatorConfig;
  baseUrl: string;
  token: string;
  dir: string;
  logFile: string;
  close: () => Promise<void>;
}

/**
 * Boots the real app (createApp, as `npm start` builds it) on a dir: a YAML config written there as
 * operator.yaml, a real SQLite file, a real runs dir, HTTP on 127.0.0.1 on a free port, and the
 * console lines written synchronously to console.log (what `npm start > console.log` does).
 */
export async function startApp(options: KitAppOptions): Promise<KitApp> {
  const { token, config = {}, overrides = {}, onClosed } = options;
  const ownsDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), options.prefix ?? 'jobevents-'));
  const logFile = join(dir, 'console.log');
  let consoleFd: number | undefined;
  const closeLog = () => {
    if (consoleFd !== undefined) closeSync(consoleFd);
    consoleFd = undefined;
  };
  const removeOwnDir = () => {
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };
  let app: NestExpressApplication | undefined;
  try {
    const configPath = join(dir, 'operator.yaml');
    const base = {
      server: { host: '127.0.0.1', port: 0 },
      // Tests and the bench make many requests from one address; the rate-limit tests turn this back on.
      security: { rate_limiting: { enabled: false } },
      storage: { db_path: join(dir, 'jobs.db'), runs_dir: join(dir, 'runs') },
    };
    writeFileSync(configPath, stringify(deepMerge(deepMerge(base, config), overrides)));
    const loaded = loadConfig({ path: configPath, env: { ADMIN_TOKEN: token }, cwd: dir });
    consoleFd = openSync(logFile, 'a');
    // Lines after close are dropped: the fd number may belong to another file by then.
    const logSink = (line: string) => {
      if (consoleFd !== undefined) writeSync(consoleFd, line + '\n');
    };
    app = await createApp(loaded, { logSink });
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    const started: KitApp = {
      app,
      config: loaded.config,
      baseUrl: `http://127.0.0.1:${port}`,
      token,
      dir,
      logFile,
      close: async () => {
        try {
          await started.app.close();
        } finally {
          try {
            closeLog();
            onClosed?.(started);
          } finally {
            removeOwnDir();
          }
        }
      },
    };
    return started;
  } catch (error) {
    await app?.close().catch(() => undefined);
    closeLog();
    removeOwnDir();
    throw error;
  }
}
