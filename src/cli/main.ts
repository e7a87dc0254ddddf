import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ApiClient } from './api';
import { completionScript } from './completion';
import { parseDuration } from './duration';
import { isFancy } from './format';
import { eventsFileOf, tailFile } from './tail';
import { EXIT, watchJob } from './watch';

type Flags = Record<string, string | boolean | undefined>;
interface Option {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help (`--stage <stage>`); none for a boolean. */
  value?: string;
  description: string;
  required?: boolean;
}
interface Command {
  /** The positionals, as help shows them (`<job-id>`); empty when the command takes none. */
  args: string;
  summary: string;
  options: Record<string, Option>;
  run: (positionals: string[], flags: Flags, context: Context) => Promise<number>;
}

/** Where the service is, how to reach it, and where its files are (resolved once per run). */
interface Context {
  api: ApiClient;
  runsDir: string;
}

/** A mistake in how jobctl was called: exit 2 with the CLI's own message, before anything ran. */
class UsageError extends Error {}

const DEFAULT_URL = 'http://127.0.0.1:8008';
const DEFAULT_TOKEN = 'default-admin-token-change-me';

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');
const print = (value: unknown) => out(JSON.stringify(value, null, 2));
const list = (value: unknown) =>
  typeof value === 'string' && value ? value.split(',').map((t) => t.trim()) : undefined;
const readJson = (path: unknown) => (typeof path === 'string' ? JSON.parse(readFileSync(path, 'utf8')) : undefined);

const GLOBAL_OPTIONS: Record<string, Option> = {
  url: {
    type: 'string',
    value: 'url',
    description: `the service (default: JOBS_API_URL, else the config's server.port, else ${DEFAULT_URL})`,
  },
  token: {
    type: 'string',
    value: 'token',
    description: "the admin token (default: JOBCTL_TOKEN, else the config's security.admin_token_env variable)",
  },
  help: { type: 'boolean', short: 'h', description: 'this help' },
};

const WATCH_OPTIONS: Record<string, Option> = {
  verbose: { type: 'boolean', description: 'print each event payload too' },
  json: { type: 'boolean', description: 'print the events as JSON, one per line (hints and summary on stderr)' },
  types: { type: 'string', value: 'a,b', description: 'print only these event types' },
  since: { type: 'string', value: 'id', description: 'start after this event id (default 0: the whole history)' },
  timeout: { type: 'string', value: '10m', description: 'give up after this long (<n>s, <n>m, <n>h): exit 2' },
};

function formatOptions(flags: Flags) {
  return { fancy: isFancy(process.stdout, process.env), verbose: flags.verbose === true };
}

async function watch(context: Context, jobId: string, flags: Flags): Promise<number> {
  const timeout = typeof flags.timeout === 'string' ? parseDuration(flags.timeout) : null;
  if (typeof flags.timeout === 'string' && timeout === null)
    throw new UsageError(`--timeout must be <n>s, <n>m or <n>h, got "${flags.timeout}"`);
  const since = typeof flags.since === 'string' ? Number(flags.since) : 0;
  if (!Number.isInteger(since) || since < 0)
    throw new UsageError(`--since must be an event id, got "${String(flags.since)}"`);
  return watchJob(context.api, jobId, {
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
  args: '<job-id>',
  summary: `${action === 'approve' ? 'approve' : 'reject'} a gate`,
  options: {
    stage: { type: 'string', value: 'stage', description: 'the gate (a stage name)', required: true },
    notes: { type: 'string', value: 'text', description: 'a note kept with the decision' },
    patch: { type: 'string', value: 'file.json', description: 'a patch for the next stages, as a JSON file' },
    operator: { type: 'string', value: 'name', description: 'who decided (default: admin)' },
  },
  run: async ([id], flags, { api }) => {
    const body = { stage: flags.stage, notes: flags.notes, operator: flags.operator, patch: readJson(flags.patch) };
    out((await api.request<{ message: string }>('POST', `/api/v1/jobs/${id}/${action}`, body)).message);
    return 0;
  },
});

const post = (path: string, summary: string): Command => ({
  args: '<job-id>',
  summary,
  options: {},
  run: async ([id], _flags, { api }) => (
    out((await api.request<{ message: string }>('POST', `/api/v1/jobs/${id}/${path}`, {})).message),
    0
  ),
});

export const COMMANDS: Record<string, Command> = {
  submit: {
    args: '<slug>',
    summary: 'create a job (prints its id); -w to watch it',
    options: {
      intent: { type: 'string', value: 'text', description: 'what the job is for', required: true },
      brief: { type: 'string', value: 'file.json', description: 'the brief, as a JSON file' },
      watch: { type: 'boolean', short: 'w', description: 'then watch it (with the watch options)' },
      ...WATCH_OPTIONS,
    },
    run: async ([slug], flags, context) => {
      const job = await context.api.request<{ id: string }>('POST', '/api/v1/jobs', {
        slug,
        intent: flags.intent,
        brief: readJson(flags.brief),
      });
      out(job.id);
      return flags.watch === true ? watch(context, job.id, flags) : 0;
    },
  },
  jobs: {
    args: '',
    summary: 'list jobs, newest first',
    options: {
      status: { type: 'string', value: 'status', description: 'only jobs with this status' },
      limit: { type: 'string', value: 'n', description: 'at most this many (1-1000, default 100)' },
    },
    run: async (_args, flags, { api }) => {
      const query = new URLSearchParams(
        Object.entries({ status: flags.status, limit: flags.limit }).filter(([, v]) => typeof v === 'string') as [
          string,
          string,
        ][],
      );
      const jobs = await api.request<{ id: string; status: string; stage: string; slug: string }[]>(
        'GET',
        `/api/v1/jobs?${query}`,
      );
      // Said on stderr: stdout stays one job a line for scripts.
      if (jobs.length === 0) err(typeof flags.status === 'string' ? `No ${flags.status} jobs` : 'No jobs');
      for (const job of jobs) out(`${job.id}  ${job.status.padEnd(14)} ${job.stage.padEnd(10)} ${job.slug}`);
      return 0;
    },
  },
  show: {
    args: '<job-id>',
    summary: 'a job as JSON',
    options: {},
    run: async ([id], _flags, { api }) => (print(await api.request('GET', `/api/v1/jobs/${id}`)), 0),
  },
  approve: decision('approve'),
  reject: decision('reject'),
  resume: post('resume', 'resume a job paused by a rejection'),
  cancel: post('cancel', 'cancel a job that is not finished'),
  rm: {
    args: '<job-id>...',
    summary: 'delete finished jobs: record, events and run dir',
    options: { operator: { type: 'string', value: 'name', description: 'who deleted it (default: admin)' } },
    run: async (ids, flags, { api }) => {
      const query = typeof flags.operator === 'string' ? `?operator=${encodeURIComponent(flags.operator)}` : '';
      for (const id of ids) {
        await api.request('DELETE', `/api/v1/jobs/${encodeURIComponent(id)}${query}`);
        out(`${id} deleted`);
      }
      return 0;
    },
  },
  gates: {
    args: '<job-id>',
    summary: "a job's gates as JSON",
    options: {},
    run: async ([id], _flags, { api }) => (print(await api.request('GET', `/api/v1/jobs/${id}/gates/status`)), 0),
  },
  artifacts: {
    args: '<job-id>',
    summary: "list a job's artifacts",
    options: { download: { type: 'string', value: 'dir', description: 'also save each file under this dir' } },
    run: async ([id], flags, { api }) => {
      const artifacts = await api.request<{ path: string; size_bytes: number }[]>(
        'GET',
        `/api/v1/jobs/${id}/artifacts`,
      );
      for (const artifact of artifacts) {
        out(`${artifact.path}  ${artifact.size_bytes} bytes`);
        if (typeof flags.download === 'string') {
          const bytes = await api.download(
            `/api/v1/jobs/${id}/artifacts/file?path=${encodeURIComponent(artifact.path)}`,
          );
          const target = join(flags.download, artifact.path);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, bytes);
        }
      }
      return 0;
    },
  },
  watch: {
    args: '<job-id>',
    summary: 'follow a job to its end (exit 0 completed, 1 failed or canceled, 2 timeout, 3 error)',
    options: WATCH_OPTIONS,
    run: ([id], flags, context) => watch(context, id, flags),
  },
  tail: {
    args: '<job-id | path/to/events.jsonl>',
    summary: "print a job's events.jsonl from disk (no server needed); -f to follow",
    options: {
      follow: { type: 'boolean', short: 'f', description: 'keep printing lines as they are appended' },
      json: { type: 'boolean', description: 'print the lines as they are (JSON)' },
      types: { type: 'string', value: 'a,b', description: 'print only these event types' },
      verbose: { type: 'boolean', description: 'print each event payload too' },
      'runs-dir': {
        type: 'string',
        value: 'dir',
        description: "the service's runs dir (default: the config's storage.runs_dir, else ./runs)",
      },
    },
    run: async ([target], flags, { runsDir }) => {
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
  completion: {
    args: '<bash | zsh>',
    summary: 'print a shell completion script: eval "$(jobctl completion bash)"',
    options: {},
    run: async ([shell]) => {
      if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`completion is for bash or zsh, not "${shell}"`);
      out(completionScript(shell, COMMANDS, Object.keys(GLOBAL_OPTIONS)));
      return 0;
    },
  },
};

function version(): string {
  const { version: number } = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return `jobctl ${number}`;
}

function optionLine(name: string, option: Option): string {
  const flag = `${option.short ? `-${option.short}, ` : '    '}--${name}${option.value ? ` <${option.value}>` : ''}`;
  return `  ${flag.padEnd(28)} ${option.description}${option.required ? ' (required)' : ''}`;
}

function usage(name: string, command: Command): string {
  const required = Object.entries(command.options)
    .filter(([, option]) => option.required)
    .map(([option, { value }]) => ` --${option} <${value}>`)
    .join('');
  return `jobctl ${name}${command.args ? ` ${command.args}` : ''}${required} [options]`;
}

function commandHelp(name: string, command: Command): string {
  return [
    `usage: ${usage(name, command)}`,
    '',
    `${command.summary[0].toUpperCase()}${command.summary.slice(1)}.`,
    '',
    'Options:',
    ...Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).map(([option, spec]) => optionLine(option, spec)),
  ].join('\n');
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'jobctl: follow and steer Job Events Service jobs',
    '',
    'usage: jobctl <command> [options]   (jobctl <command> --help for its options)',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Options of every command:',
    ...Object.entries(GLOBAL_OPTIONS).map(([name, option]) => optionLine(name, option)),
    '  -V, --version                print the version',
    '',
    'Exit codes: 0 done, 1 a watched job failed or was canceled, 2 a usage error or a watch timeout, 3 any other error.',
  ].join('\n');
}

/** The operator config jobctl runs beside (OPERATOR_CONFIG, else ./conf/operator.yaml), when there is one. */
function operatorConfig(): { path: string; value: Record<string, any> } | null {
  const path = resolve(process.env.OPERATOR_CONFIG ?? 'conf/operator.yaml');
  if (!existsSync(path)) return null;
  try {
    const value = parseYaml(readFileSync(path, 'utf8')) as unknown;
    return typeof value === 'object' && value !== null ? { path, value: value as Record<string, any> } : null;
  } catch {
    return null; // The service reports a bad config; jobctl falls back to its defaults.
  }
}

function contextOf(flags: Flags): Context {
  const config = operatorConfig()?.value;
  const nonEmpty = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const port = config?.server?.port;
  const configUrl = Number.isInteger(port) ? `http://127.0.0.1:${port}` : undefined;
  const url = nonEmpty(flags.url) ?? nonEmpty(process.env.JOBS_API_URL) ?? configUrl ?? DEFAULT_URL;
  const tokenEnv = nonEmpty(config?.security?.admin_token_env) ?? 'ADMIN_TOKEN';
  const token =
    nonEmpty(flags.token) ?? nonEmpty(process.env.JOBCTL_TOKEN) ?? nonEmpty(process.env[tokenEnv]) ?? DEFAULT_TOKEN;
  const runsDir = nonEmpty(flags['runs-dir']) ?? nonEmpty(config?.storage?.runs_dir) ?? 'runs';
  return { api: new ApiClient(url.replace(/\/+$/, ''), token), runsDir: resolve(runsDir) };
}

function parse(name: string, command: Command, args: string[]) {
  const options = Object.fromEntries(
    Object.entries({ ...command.options, ...GLOBAL_OPTIONS }).map(([option, { type, short }]) => [
      option,
      short ? { type, short } : { type },
    ]),
  );
  try {
    return parseArgs({ args, options, allowPositionals: true });
  } catch (error) {
    // node:util's messages name its own API ("To specify a positional argument starting with a '-'…").
    const code = (error as { code?: string }).code;
    const option = /'([^']+)'/.exec((error as Error).message)?.[1] ?? '';
    const message =
      code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
        ? `unknown option ${option}`
        : code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE'
          ? `option ${option.split(' ')[0]} needs a value`
          : (error as Error).message;
    throw new UsageError(`${message} (jobctl ${name} --help lists the options)`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') return (out(version()), 0);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? out : err)(help());
    return name ? 0 : EXIT.usage;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}" (jobctl --help lists them)`);
    const { values, positionals } = parse(name, command, rest);
    const flags = values as Flags;
    if (flags.help) return (out(commandHelp(name, command)), 0);
    if (command.args && positionals.length === 0) throw new UsageError(`${name} needs ${command.args}`);
    const missing = Object.entries(command.options).find(([option, spec]) => spec.required && !flags[option]);
    if (missing) throw new UsageError(`${name} needs --${missing[0]} <${missing[1].value}>`);
    return await command.run(positionals, flags, contextOf(flags));
  } catch (error) {
    if (error instanceof UsageError) {
      err(`jobctl: ${error.message}`);
      if (command) err(`usage: ${usage(name, command)}`);
      return EXIT.usage;
    }
    // The server's answer (its `detail`) or an unreachable service (its URL and the cause).
    err(`jobctl: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
}
