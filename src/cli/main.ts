import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiClient } from './api';
import { parseDuration } from './duration';
import { isFancy } from './format';
import { eventsFileOf, tailFile } from './tail';
import { EXIT, watchJob } from './watch';

type Flags = Record<string, string | boolean | undefined>;
interface Command {
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run: (positionals: string[], flags: Flags) => Promise<number>;
}

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');
const api = () =>
  new ApiClient(
    process.env.JOBS_API_URL ?? 'http://127.0.0.1:8008',
    process.env.ADMIN_TOKEN ?? 'default-admin-token-change-me',
  );
const print = (value: unknown) => out(JSON.stringify(value, null, 2));
const list = (value: unknown) =>
  typeof value === 'string' && value ? value.split(',').map((t) => t.trim()) : undefined;
const readJson = (path: unknown) => (typeof path === 'string' ? JSON.parse(readFileSync(path, 'utf8')) : undefined);

function formatOptions(flags: Flags) {
  return { fancy: isFancy(process.stdout, process.env), verbose: flags.verbose === true };
}

async function watch(jobId: string, flags: Flags): Promise<number> {
  const timeout = typeof flags.timeout === 'string' ? parseDuration(flags.timeout) : null;
  if (typeof flags.timeout === 'string' && timeout === null)
    throw new Error(`--timeout must be <n>s, <n>m or <n>h, got "${flags.timeout}"`);
  const since = typeof flags.since === 'string' ? Number(flags.since) : 0;
  if (!Number.isInteger(since) || since < 0)
    throw new Error(`--since must be an event id, got "${String(flags.since)}"`);
  return watchJob(api(), jobId, {
    ...formatOptions(flags),
    json: flags.json === true,
    types: list(flags.types),
    since,
    timeoutMs: timeout,
    out,
    // With --json, stdout carries events only (docs/OPERATIONS.md, "Watching").
    info: flags.json === true ? err : out,
  });
}

const decision = (action: 'approve' | 'reject'): Command => ({
  usage: `jobctl ${action} <job-id> --stage <stage> [--notes <text>] [--patch <file.json>] [--operator <name>]`,
  options: {
    stage: { type: 'string' },
    notes: { type: 'string' },
    patch: { type: 'string' },
    operator: { type: 'string' },
  },
  run: async ([id], flags) => {
    const body = { stage: flags.stage, notes: flags.notes, operator: flags.operator, patch: readJson(flags.patch) };
    out((await api().request<{ message: string }>('POST', `/api/v1/jobs/${id}/${action}`, body)).message);
    return 0;
  },
});

const WATCH_OPTIONS = {
  verbose: { type: 'boolean' },
  json: { type: 'boolean' },
  types: { type: 'string' },
  since: { type: 'string' },
  timeout: { type: 'string' },
} as const;

export const COMMANDS: Record<string, Command> = {
  submit: {
    usage: 'jobctl submit <slug> --intent <text> [--brief <file.json>] [-w] [watch options]',
    options: {
      intent: { type: 'string' },
      brief: { type: 'string' },
      watch: { type: 'boolean', short: 'w' },
      ...WATCH_OPTIONS,
    },
    run: async ([slug], flags) => {
      const job = await api().request<{ id: string }>('POST', '/api/v1/jobs', {
        slug,
        intent: flags.intent,
        brief: readJson(flags.brief),
      });
      out(job.id);
      return flags.watch === true ? watch(job.id, flags) : 0;
    },
  },
  jobs: {
    usage: 'jobctl jobs [--status <status>] [--limit <n>]',
    options: { status: { type: 'string' }, limit: { type: 'string' } },
    run: async (_args, flags) => {
      const query = new URLSearchParams(
        Object.entries({ status: flags.status, limit: flags.limit }).filter(([, v]) => typeof v === 'string') as [
          string,
          string,
        ][],
      );
      const jobs = await api().request<
        { id: string; status: string; stage: string; slug: string; created_at: string }[]
      >('GET', `/api/v1/jobs?${query}`);
      for (const job of jobs) out(`${job.id}  ${job.status.padEnd(14)} ${job.stage.padEnd(10)} ${job.slug}`);
      return 0;
    },
  },
  show: {
    usage: 'jobctl show <job-id>',
    options: {},
    run: async ([id]) => (print(await api().request('GET', `/api/v1/jobs/${id}`)), 0),
  },
  approve: decision('approve'),
  reject: decision('reject'),
  resume: {
    usage: 'jobctl resume <job-id>',
    options: {},
    run: async ([id]) => (
      out((await api().request<{ message: string }>('POST', `/api/v1/jobs/${id}/resume`, {})).message),
      0
    ),
  },
  cancel: {
    usage: 'jobctl cancel <job-id>',
    options: {},
    run: async ([id]) => (
      out((await api().request<{ message: string }>('POST', `/api/v1/jobs/${id}/cancel`, {})).message),
      0
    ),
  },
  rm: {
    usage: 'jobctl rm <job-id>... [--operator <name>]',
    options: { operator: { type: 'string' } },
    run: async (ids, flags) => {
      const query = typeof flags.operator === 'string' ? `?operator=${encodeURIComponent(flags.operator)}` : '';
      for (const id of ids) {
        await api().request('DELETE', `/api/v1/jobs/${encodeURIComponent(id)}${query}`);
        out(`${id} deleted`);
      }
      return 0;
    },
  },
  gates: {
    usage: 'jobctl gates <job-id>',
    options: {},
    run: async ([id]) => (print(await api().request('GET', `/api/v1/jobs/${id}/gates/status`)), 0),
  },
  artifacts: {
    usage: 'jobctl artifacts <job-id> [--download <dir>]',
    options: { download: { type: 'string' } },
    run: async ([id], flags) => {
      const artifacts = await api().request<{ path: string; size_bytes: number }[]>(
        'GET',
        `/api/v1/jobs/${id}/artifacts`,
      );
      for (const artifact of artifacts) {
        out(`${artifact.path}  ${artifact.size_bytes} bytes`);
        if (typeof flags.download === 'string') {
          const response = await fetch(
            `${api().baseUrl}/api/v1/jobs/${id}/artifacts/file?path=${encodeURIComponent(artifact.path)}`,
            {
              headers: { Authorization: `Bearer ${process.env.ADMIN_TOKEN ?? 'default-admin-token-change-me'}` },
            },
          );
          const target = join(flags.download, artifact.path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, Buffer.from(await response.arrayBuffer()));
        }
      }
      return 0;
    },
  },
  watch: {
    usage: 'jobctl watch <job-id> [--verbose] [--json] [--types a,b] [--since <id>] [--timeout 10m]',
    options: WATCH_OPTIONS,
    run: ([id], flags) => watch(id, flags),
  },
  tail: {
    usage: 'jobctl tail <job-id | path/to/events.jsonl> [-f] [--json] [--types a,b] [--runs-dir runs]',
    options: {
      follow: { type: 'boolean', short: 'f' },
      json: { type: 'boolean' },
      types: { type: 'string' },
      verbose: { type: 'boolean' },
      'runs-dir': { type: 'string' },
    },
    run: async ([target], flags) => {
      const runsDir = typeof flags['runs-dir'] === 'string' ? flags['runs-dir'] : 'runs';
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      const options = {
        ...formatOptions(flags),
        follow: flags.follow === true,
        json: flags.json === true,
        types: list(flags.types),
        runsDir,
        out,
      };
      await tailFile(eventsFileOf(target, runsDir), options, stop.signal);
      return 0;
    },
  },
};

function help(): string {
  return [
    'jobctl — follow and steer Job Events Service jobs (JOBS_API_URL, ADMIN_TOKEN)',
    '',
    ...Object.values(COMMANDS).map((command) => `  ${command.usage}`),
    '',
    'watch exits 0 on job_completed, 1 on job_failed or job_canceled, 2 on timeout, 3 on an error.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(help());
    return name ? 0 : EXIT.error;
  }
  const command = COMMANDS[name];
  if (!command) {
    err(`jobctl: unknown command "${name}"\n\n${help()}`);
    return EXIT.error;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      out(`usage: ${command.usage}`);
      return 0;
    }
    if (name !== 'jobs' && positionals.length === 0) throw new Error(`usage: ${command.usage}`);
    return await command.run(positionals, values as Flags);
  } catch (error) {
    err(`jobctl: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
}
