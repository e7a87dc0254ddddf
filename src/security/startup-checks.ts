import { LoadedConfig } from '../config/config.loader';
import { OperatorConfig, ServerConfig } from '../config/operator-config';
import { redactUrl } from '../config/urls';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** docs/OPERATIONS.md, "Configuration": a non-loopback host is only bound when allow_external_bind says so. */
export function bindAddress(server: ServerConfig): string {
  return server.allow_external_bind || isLoopback(server.host) ? server.host : '127.0.0.1';
}

export interface SummaryLine {
  level: 'log' | 'warn';
  message: string;
}

/** The `[security]` lines printed at start-up. Never includes the token itself. */
export function securitySummary(loaded: LoadedConfig, boundHost: string): SummaryLine[] {
  const { server, security } = loaded.config;
  const lines: SummaryLine[] = [];
  if (boundHost !== server.host) {
    lines.push({
      level: 'warn',
      message: `server.host ${server.host} is not loopback and allow_external_bind is false: binding ${boundHost} instead`,
    });
  }
  lines.push(
    loaded.isDefaultToken
      ? {
          level: 'warn',
          message: `The default admin token is in use: set ${security.admin_token_env} to a secret of your own`,
        }
      : {
          level: 'log',
          message: `Admin token taken from ${process.env[security.admin_token_env] ? `$${security.admin_token_env}` : 'security.default_token'}`,
        },
  );
  const { rate_limiting: limits, cors, security_headers: headers } = security;
  const rate = limits.enabled
    ? `on (${limits.api_requests_per_minute}+${limits.burst_size} requests, ${limits.job_creation_per_minute} job creations a minute per client)`
    : 'OFF';
  lines.push(
    {
      level: 'log',
      message: `Bind ${boundHost}:${server.port}; every /api/v1 route but healthz needs the admin token`,
    },
    {
      level: 'log',
      message:
        `Rate limits ${rate}; CORS ${cors.enabled ? `on for ${cors.allow_origins.join(', ') || 'no origin'}` : 'off'}; ` +
        `security headers ${headers.enabled ? 'on' : 'OFF'}; at most ${security.max_streams_per_client} streams per client`,
    },
  );
  return lines;
}

/** The engines this instance runs on, and a warning when the combination is for one instance only. */
export function clusterSummary(config: OperatorConfig): SummaryLine[] {
  const { storage, bus, cluster } = config;
  if (storage.engine === 'sqlite') return [];
  const lines: SummaryLine[] = [
    {
      level: 'log',
      message: `Instance ${cluster.instance_id}: storage postgres at ${redactUrl(storage.postgres_url)}, bus ${bus.engine}${bus.engine === 'nats' ? ` at ${redactUrl(bus.nats_url)} (stream ${bus.stream})` : ''}`,
    },
  ];
  if (bus.engine === 'local') {
    lines.push({
      level: 'warn',
      message:
        'storage.engine postgres with bus.engine local serves one instance only: other instances would not see its events live (docs/CLUSTER.md)',
    });
  }
  return lines;
}

/** Below this many open files, start-up warns: a default of 1,024 caps streams and connections near 1,000. */
const OPEN_FILES_ADVISED = 4096;
/** What the service holds open besides connections: SQLite, kept events.jsonl handles (up to 128), logs. */
const OPEN_FILES_OWN = 200;

/** The `[api]` line about the open-files limit (none where it is unknown or unlimited). */
export function openFilesSummary(limit: number | null): SummaryLine[] {
  if (limit === null) return [];
  if (limit >= OPEN_FILES_ADVISED) return [{ level: 'log', message: `At most ${limit} open files (ulimit -n)` }];
  return [
    {
      level: 'warn',
      message:
        `At most ${limit} open files (ulimit -n): each SSE stream and HTTP connection holds one, so past about ` +
        `${Math.max(limit - OPEN_FILES_OWN, 0)} at once new connections are reset; raise it to ${OPEN_FILES_ADVISED} or more ` +
        `(LimitNOFILE, ulimit -n; docs/OPERATIONS.md, "Open files")`,
    },
  ];
}
