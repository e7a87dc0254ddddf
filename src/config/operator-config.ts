import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  Allow,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { Stage } from '../domain/stages';

/** The typed, validated form of conf/operator.yaml. Every service reads config through this class. */

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export class ServerConfig {
  @IsString() @MinLength(1) host: string;
  @IsInt() @Min(0) @Max(65535) port: number;
  @IsInt() @Min(1) workers: number;
  @IsIn(LOG_LEVELS) log_level: LogLevel;
  /** text: `<time> [tag] LEVEL: message` lines; json: one JSON object a line (log collectors). */
  @IsIn(LOG_FORMATS) log_format: LogFormat;
  @IsBoolean() allow_external_bind: boolean;
  /** A request (headers and body) not received whole within this many seconds is answered 408. */
  @IsNumber() @Min(0.1) request_timeout_s: number;
  /**
   * Which proxies' X-Forwarded-For to believe for the client address (rate limits, stream caps):
   * false (none), a hop count, or a list of addresses / CIDR ranges (checked by the loader).
   */
  @Allow() trust_proxy: TrustProxy;
}

export type TrustProxy = false | number | string[];

export class RateLimitingConfig {
  @IsBoolean() enabled: boolean;
  @IsInt() @Min(1) job_creation_per_minute: number;
  @IsInt() @Min(1) api_requests_per_minute: number;
  @IsInt() @Min(0) burst_size: number;
}

export class CorsConfig {
  @IsBoolean() enabled: boolean;
  @IsArray() @IsString({ each: true }) allow_origins: string[];
  @IsBoolean() allow_credentials: boolean;
  @IsArray() @IsString({ each: true }) allow_methods: string[];
  @IsArray() @IsString({ each: true }) allow_headers: string[];
  @IsArray() @IsString({ each: true }) expose_headers: string[];
  @IsInt() @Min(0) max_age: number;
}

export class SecurityHeadersConfig {
  @IsBoolean() enabled: boolean;
  @IsInt() @Min(0) hsts_seconds: number;
  @IsString() content_security_policy: string;
  @IsString() x_content_type_options: string;
  @IsString() x_frame_options: string;
  @IsString() x_xss_protection: string;
}

export class SecurityConfig {
  @IsString() @MinLength(1) admin_token_env: string;
  @IsString() @MinLength(1) default_token: string;
  @ValidateNested() @Type(() => RateLimitingConfig) rate_limiting: RateLimitingConfig;
  @ValidateNested() @Type(() => CorsConfig) cors: CorsConfig;
  @ValidateNested() @Type(() => SecurityHeadersConfig) security_headers: SecurityHeadersConfig;
  /** Concurrent SSE streams one client (IP) may hold; one more is a 429. */
  @IsInt() @Min(1) max_streams_per_client: number;
}

export class GateConfig {
  @IsBoolean() required: boolean;
  @IsBoolean() auto_approve: boolean;
  @ValidateIf((_, value) => value !== null)
  @IsInt()
  @Min(0)
  auto_approve_after_s: number | null;
}

export const STORAGE_ENGINES = ['sqlite', 'postgres'] as const;
export const BUS_ENGINES = ['local', 'nats'] as const;

export class StorageConfig {
  @IsString() @MinLength(1) db_path: string;
  @IsString() @MinLength(1) runs_dir: string;
  @IsString() @MinLength(1) artifacts_dir: string;
  @IsInt() @Min(0) events_retention_days: number;
  /** Finished jobs (rows, events, run dir) are deleted this many days after their last change; 0 keeps them. */
  @IsNumber() @Min(0) jobs_retention_days: number;
  @IsInt() @Min(1) max_events_per_job: number;
  /** How long a write waits for a lock held by another process before it answers 503. */
  @IsInt() @Min(0) busy_timeout_ms: number;
  /** Below this much free space in the runs dir, /readyz answers 503. */
  @IsInt() @Min(0) min_free_mb: number;
  /** Two writes of one job's state.json start at least this far apart; 0 writes one per commit. */
  @IsInt() @Min(0) @Max(10_000) state_file_interval_ms: number;
  /** sqlite: the embedded file at db_path; postgres: the shared database of cluster mode (docs/CLUSTER.md). */
  @IsIn(STORAGE_ENGINES) engine: (typeof STORAGE_ENGINES)[number];
  /** Read only when engine is postgres; DATABASE_URL overrides it. Its password is never shown. */
  @IsString() @MinLength(1) postgres_url: string;
}

export class BusConfig {
  /** local: the in-process bus; nats: NATS JetStream between the instances of a cluster. */
  @IsIn(BUS_ENGINES) engine: (typeof BUS_ENGINES)[number];
  /** Read only when engine is nats; NATS_URL overrides it. */
  @IsString() @MinLength(1) nats_url: string;
  /** The JetStream stream; each job's events are published on <stream>.job.<job_id>. */
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'stream must be letters, digits, _ or -' }) stream: string;
}

export class ClusterConfig {
  /** This instance among the others (leases name it); empty: <hostname>:<pid>. INSTANCE_ID overrides it. */
  @IsString() instance_id: string;
  /** How long a running job's claim holds unless its instance renews it; another instance takes it over after. */
  @IsNumber() @Min(1) lease_seconds: number;
}

export class SimulateConfig {
  @IsNumber() @Min(0) stage_seconds: number;
}

export class PipelineConfig {
  @IsInt() @Min(1) max_concurrent_jobs: number;
  @IsNumber() @Min(0) job_timeout_hours: number;
  /** Minutes per stage; checked key by key in the loader (keys must be stages). */
  @IsObject() stage_timeouts: Partial<Record<Stage, number>>;
  @IsIn(['simulate', 'command']) runner: 'simulate' | 'command';
  @ValidateNested() @Type(() => SimulateConfig) simulate: SimulateConfig;
  @IsObject() commands: Partial<Record<Stage, string>>;
  /** Variables stage commands get besides the allow-listed ones; checked in the loader (names and string values). */
  @IsObject() command_env: Record<string, string>;
}

export class EventsConfig {
  @IsNumber() @Min(0.01) heartbeat_seconds: number;
  @IsInt() @Min(0) sse_retry_ms: number;
  @IsInt() @Min(1) max_backlog: number;
}

export class UiConfig {
  @IsBoolean() enabled: boolean;
  @IsInt() @Min(0) @Max(65535) port: number;
  @IsBoolean() share: boolean;
  @IsBoolean() debug: boolean;
  @IsObject() features: Record<string, unknown>;
}

export class MetricsConfig {
  /** true: GET /metrics needs no token (for a scraper on a trusted network). */
  @IsBoolean() public: boolean;
}

export class OperatorConfig {
  @ValidateNested() @Type(() => ServerConfig) server: ServerConfig;
  @ValidateNested() @Type(() => SecurityConfig) security: SecurityConfig;
  /** One entry per stage; checked key by key in the loader. */
  @IsObject() gates: Partial<Record<Stage, GateConfig>>;
  @ValidateNested() @Type(() => StorageConfig) storage: StorageConfig;
  @ValidateNested() @Type(() => PipelineConfig) pipeline: PipelineConfig;
  @ValidateNested() @Type(() => EventsConfig) events: EventsConfig;
  @ValidateNested() @Type(() => UiConfig) ui: UiConfig;
  @ValidateNested() @Type(() => MetricsConfig) metrics: MetricsConfig;
  @ValidateNested() @Type(() => BusConfig) bus: BusConfig;
  @ValidateNested() @Type(() => ClusterConfig) cluster: ClusterConfig;
}
