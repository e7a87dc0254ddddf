import { STAGES, Stage } from '../domain/stages';

const REQUIRED_GATES: readonly Stage[] = ['script', 'storyboard', 'assets', 'audio'];
const AUTO_APPROVE_AFTER_S: Partial<Record<Stage, number>> = {
  outline: 1800,
  research: 2700,
  animatics: 5400,
  assemble: 7200,
  acceptance: 1800,
};
const STAGE_TIMEOUT_MINUTES: Record<Stage, number> = {
  outline: 30,
  research: 45,
  script: 60,
  storyboard: 120,
  assets: 180,
  animatics: 90,
  audio: 60,
  assemble: 120,
  acceptance: 30,
};

/** The built-in defaults: the same values as the shipped conf/operator.yaml (the reference's). */
export function defaultConfigObject(): Record<string, unknown> {
  return {
    server: {
      host: '127.0.0.1',
      port: 8008,
      workers: 1,
      log_level: 'info',
      log_format: 'text',
      allow_external_bind: false,
      request_timeout_s: 30,
      trust_proxy: false,
    },
    security: {
      admin_token_env: 'ADMIN_TOKEN',
      default_token: DEFAULT_ADMIN_TOKEN,
      rate_limiting: { enabled: true, job_creation_per_minute: 5, api_requests_per_minute: 60, burst_size: 10 },
      cors: {
        enabled: false,
        allow_origins: [],
        allow_credentials: false,
        allow_methods: ['GET', 'POST'],
        allow_headers: ['Authorization', 'Content-Type', 'Last-Event-ID'],
        expose_headers: [],
        max_age: 600,
      },
      security_headers: {
        enabled: true,
        hsts_seconds: 31536000,
        content_security_policy: "default-src 'self'",
        x_content_type_options: 'nosniff',
        x_frame_options: 'DENY',
        x_xss_protection: '1; mode=block',
      },
      max_streams_per_client: 20,
    },
    gates: Object.fromEntries(
      STAGES.map((stage) => {
        const required = REQUIRED_GATES.includes(stage);
        return [
          stage,
          { required, auto_approve: !required, auto_approve_after_s: AUTO_APPROVE_AFTER_S[stage] ?? null },
        ];
      }),
    ),
    storage: {
      db_path: 'jobs.db',
      runs_dir: 'runs',
      artifacts_dir: 'artifacts',
      events_retention_days: 30,
      jobs_retention_days: 0,
      max_events_per_job: 1000,
      busy_timeout_ms: 5000,
      min_free_mb: 100,
      state_file_interval_ms: 100,
      engine: 'sqlite',
      postgres_url: 'postgres://127.0.0.1:5432/jobevents',
    },
    pipeline: {
      max_concurrent_jobs: 1,
      job_timeout_hours: 24,
      stage_timeouts: { ...STAGE_TIMEOUT_MINUTES },
      runner: 'simulate',
      simulate: { stage_seconds: 1 },
      commands: {},
      command_env: {},
    },
    events: { heartbeat_seconds: 5, sse_retry_ms: 3000, max_backlog: 10000 },
    ui: { enabled: false, port: 7860, share: false, debug: false, features: {} },
    metrics: { public: false },
    bus: { engine: 'local', nats_url: 'nats://127.0.0.1:4222', stream: 'JOBEVENTS' },
    cluster: { instance_id: '', lease_seconds: 15 },
  };
}

export const DEFAULT_ADMIN_TOKEN = 'default-admin-token-change-me';
export const DEFAULT_CONFIG_PATH = 'conf/operator.yaml';
