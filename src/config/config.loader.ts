import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { ValidationError, validateSync } from 'class-validator';
import { parse } from 'yaml';
import { STAGES, isStage } from '../domain/stages';
import { DEFAULT_ADMIN_TOKEN, DEFAULT_CONFIG_PATH, defaultConfigObject } from './defaults';
import { GateConfig, OperatorConfig } from './operator-config';
import { deepMerge, isPlainObject } from './deep-merge';
import { redactUrl } from './urls';

/** Thrown for a config that must stop start-up; its message is the one line an operator reads. */
export class ConfigError extends Error {}

export interface LoadedConfig {
  config: OperatorConfig;
  /** Kept apart from `config` so that no serialization of the config can ever carry it. */
  adminToken: string;
  isDefaultToken: boolean;
  path: string;
  loadedFromFile: boolean;
}

export interface LoadOptions {
  path?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Reads OPERATOR_CONFIG (or conf/operator.yaml), merges it over the defaults, applies env overrides, validates. */
export function loadConfig(options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const path = resolve(cwd, options.path ?? env.OPERATOR_CONFIG ?? DEFAULT_CONFIG_PATH);
  const loadedFromFile = existsSync(path);
  const fromFile = loadedFromFile ? readYaml(path) : {};
  refuseUnknownKeys(fromFile, defaultConfigObject(), path);
  const merged = deepMerge(defaultConfigObject(), fromFile);
  applyEnvOverrides(merged, env);
  const config = validateConfig(merged, path);
  resolveStoragePaths(config, cwd);
  checkEngineUrls(config, path);
  if (config.cluster.instance_id === '') config.cluster.instance_id = `${hostname()}:${process.pid}`;
  const tokenFromEnv = env[config.security.admin_token_env];
  const adminToken = tokenFromEnv && tokenFromEnv.length > 0 ? tokenFromEnv : config.security.default_token;
  return { config, adminToken, isDefaultToken: adminToken === DEFAULT_ADMIN_TOKEN, path, loadedFromFile };
}

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new ConfigError(`Config ${path} cannot be read (${reason})`);
  }
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(`Invalid config ${path}: not valid YAML (${reason})`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isPlainObject(parsed)) throw new ConfigError(`Invalid config ${path}: the top level must be a mapping`);
  return parsed;
}

/** Mappings whose keys are the operator's own (stage names, variable names), not the config's. */
const FREE_KEYS = new Set(['pipeline.commands', 'pipeline.command_env', 'pipeline.stage_timeouts', 'ui.features']);

/**
 * A key the service does not know is refused, never ignored (`server.prot: 8018` would start on
 * 8008): the line names it and suggests the closest known key of the same mapping.
 */
function refuseUnknownKeys(fromFile: Record<string, unknown>, defaults: Record<string, unknown>, path: string): void {
  const unknown = firstUnknownKey(fromFile, defaults, '');
  if (!unknown) return;
  const { key, known } = unknown;
  const name = key.slice(key.lastIndexOf('.') + 1);
  const closest = closestKey(name, known);
  const where = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : 'the top level';
  const hint = closest ? `; did you mean ${key.slice(0, key.length - name.length)}${closest}?` : '';
  throw new ConfigError(`Invalid config ${path}: unknown key ${key}${hint} (keys of ${where}: ${known.join(', ')})`);
}

function firstUnknownKey(
  value: Record<string, unknown>,
  defaults: Record<string, unknown>,
  prefix: string,
): { key: string; known: string[] } | null {
  const known = Object.keys(defaults);
  for (const [key, child] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (!(key in defaults)) {
      // A gate that is not a stage: validateConfig's line lists the stages.
      if (prefix === 'gates') continue;
      return { key: path, known };
    }
    const fallback = defaults[key];
    if (FREE_KEYS.has(path) || !isPlainObject(child) || !isPlainObject(fallback)) continue;
    const found = firstUnknownKey(child, fallback, path);
    if (found) return found;
  }
  return null;
}

/** The known key nearest to `name`: one it begins, else the nearest by edit distance if near enough to be a typo. */
function closestKey(name: string, known: string[]): string | null {
  const extended = name.length >= 3 ? known.find((key) => key.startsWith(name)) : undefined;
  if (extended) return extended;
  let best: { key: string; distance: number } | null = null;
  for (const key of known) {
    const distance = editDistance(name, key);
    if (!best || distance < best.distance) best = { key, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(name.length / 3)) ? best.key : null;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

function applyEnvOverrides(merged: Record<string, any>, env: NodeJS.ProcessEnv): void {
  if (env.PORT !== undefined && env.PORT !== '') {
    const port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new ConfigError(`Invalid environment: PORT must be an integer from 0 to 65535, got "${env.PORT}"`);
    }
    merged.server.port = port;
  }
  const byEnv: [string, string, string][] = [
    ['DATABASE_URL', 'storage', 'postgres_url'],
    ['NATS_URL', 'bus', 'nats_url'],
    ['INSTANCE_ID', 'cluster', 'instance_id'],
  ];
  for (const [name, section, key] of byEnv) {
    const value = env[name];
    if (value !== undefined && value !== '' && isPlainObject(merged[section])) merged[section][key] = value;
  }
}

/** The engines' URLs, checked only for the engines in use (a default URL of an unused engine is never read). */
function checkEngineUrls(config: OperatorConfig, path: string): void {
  if (config.bus.engine === 'nats' && config.storage.engine !== 'postgres') {
    throw new ConfigError(
      `Invalid config ${path}: bus.engine nats needs storage.engine postgres (the instances of a cluster share one database)`,
    );
  }
  const checks = [
    {
      inUse: config.storage.engine === 'postgres',
      key: 'storage.postgres_url',
      url: config.storage.postgres_url,
      schemes: ['postgres:', 'postgresql:'],
    },
    { inUse: config.bus.engine === 'nats', key: 'bus.nats_url', url: config.bus.nats_url, schemes: ['nats:', 'tls:'] },
  ];
  for (const { inUse, key, url, schemes } of checks) {
    if (!inUse) continue;
    const problem = urlProblem(url, schemes);
    if (problem)
      throw new ConfigError(`Invalid config ${path}: ${key} ${problem} (got ${JSON.stringify(redactUrl(url))})`);
  }
}

function urlProblem(url: string, schemes: string[]): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `must be a URL such as ${schemes[0]}//127.0.0.1`;
  }
  if (!schemes.includes(parsed.protocol))
    return `must start with ${schemes.map((scheme) => `${scheme}//`).join(' or ')}`;
  if (!parsed.hostname) return 'must name a host';
  return null;
}

export function validateConfig(plain: Record<string, any>, path: string): OperatorConfig {
  for (const section of ['gates', 'pipeline.stage_timeouts', 'pipeline.commands']) {
    const value = section.split('.').reduce<any>((node, key) => node?.[key], plain);
    if (!isPlainObject(value)) throw new ConfigError(`Invalid config ${path}: ${section} must be a mapping`);
    const unknown = Object.keys(value).find((key) => !isStage(key));
    if (unknown) {
      throw new ConfigError(
        `Invalid config ${path}: ${section}.${unknown} is not a stage (stages: ${STAGES.join(', ')})`,
      );
    }
  }
  for (const [stage, gate] of Object.entries(plain.gates)) {
    if (!isPlainObject(gate)) throw new ConfigError(`Invalid config ${path}: gates.${stage} must be a mapping`);
  }
  for (const [stage, minutes] of Object.entries(plain.pipeline.stage_timeouts)) {
    if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0) {
      throw new ConfigError(
        `Invalid config ${path}: pipeline.stage_timeouts.${stage} must be a positive number of minutes`,
      );
    }
  }
  for (const [stage, command] of Object.entries(plain.pipeline.commands)) {
    if (typeof command !== 'string' || command.trim() === '') {
      throw new ConfigError(`Invalid config ${path}: pipeline.commands.${stage} must be a command line`);
    }
  }
  const commandEnv = plain.pipeline.command_env;
  if (!isPlainObject(commandEnv))
    throw new ConfigError(`Invalid config ${path}: pipeline.command_env must be a mapping`);
  for (const [name, value] of Object.entries(commandEnv)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || typeof value !== 'string') {
      throw new ConfigError(
        `Invalid config ${path}: pipeline.command_env.${name} must be a variable name with a string value`,
      );
    }
  }
  const trustProblem = trustProxyProblem(plain.server?.trust_proxy);
  if (trustProblem) throw new ConfigError(`Invalid config ${path}: server.trust_proxy ${trustProblem}`);
  const config = plainToInstance(OperatorConfig, plain);
  config.gates = Object.fromEntries(
    Object.entries(plain.gates).map(([stage, gate]) => [stage, plainToInstance(GateConfig, gate)]),
  );
  const errors = validateSync(config, { forbidUnknownValues: false });
  for (const [stage, gate] of Object.entries(config.gates)) {
    errors.push(...validateSync(gate as object).map((error) => nest(error, `gates.${stage}`)));
  }
  if (errors.length > 0) throw new ConfigError(`Invalid config ${path}: ${describe(errors[0])}`);
  return config;
}

/** false, a hop count, or a non-empty list of addresses and CIDR ranges; never `true` (anyone could claim any address). */
function trustProxyProblem(value: unknown): string | null {
  if (value === false) return null;
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? null : 'must be a whole number of hops';
  if (!Array.isArray(value) || value.length === 0) {
    return `must be false, a number of proxy hops, or a list of proxy addresses (got ${JSON.stringify(value)})`;
  }
  const bad = value.find((entry) => typeof entry !== 'string' || !isAddressOrRange(entry));
  return bad === undefined ? null : `lists ${JSON.stringify(bad)}, which is not an IP address or CIDR range`;
}

function isAddressOrRange(entry: string): boolean {
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const prefix = Number(bits);
  return /^\d+$/.test(bits) && prefix <= (family === 4 ? 32 : 128);
}

function nest(error: ValidationError, prefix: string): ValidationError {
  return Object.assign(new ValidationError(), error, { property: `${prefix}.${error.property}` });
}

/** The first leaf error as "a.b.c <problem> (got <value>)". */
function describe(error: ValidationError, prefix = ''): string {
  const key = prefix ? `${prefix}.${error.property}` : error.property;
  if (error.children && error.children.length > 0) return describe(error.children[0], key);
  const problem = Object.values(error.constraints ?? {})[0] ?? 'is invalid';
  const problemWithoutKey = problem.startsWith(error.property) ? problem.slice(error.property.length).trim() : problem;
  return `${key} ${problemWithoutKey} (got ${JSON.stringify(error.value) ?? 'nothing'})`;
}

function resolveStoragePaths(config: OperatorConfig, cwd: string): void {
  config.storage.db_path = config.storage.db_path === ':memory:' ? ':memory:' : resolve(cwd, config.storage.db_path);
  config.storage.runs_dir = resolve(cwd, config.storage.runs_dir);
}
