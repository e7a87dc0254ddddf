import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, loadConfig } from './config.loader';
import { defaultConfigObject } from './defaults';

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('loadConfig', () => {
  let dir: string;
  const write = (text: string) => {
    const path = join(dir, 'operator.yaml');
    writeFileSync(path, text);
    return path;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['server:\n  prot: 8018\n', 'unknown key server.prot; did you mean server.port? (keys of server: host, port,'],
    ['sever:\n  port: 8018\n', 'unknown key sever; did you mean server? (keys of the top level: server, security,'],
    [
      'security:\n  rate_limiting:\n    burst: 3\n',
      'unknown key security.rate_limiting.burst; did you mean security.rate_limiting.burst_size?',
    ],
    ['gates:\n  script: { requird: true }\n', 'unknown key gates.script.requird; did you mean gates.script.required?'],
    ['telemetry: true\n', 'unknown key telemetry (keys of the top level:'],
  ])('refuses the unknown key in %j and names the closest known one', (text, message) => {
    const path = write(text);
    expect(() => loadConfig({ path, env: {}, cwd: dir })).toThrow(
      new RegExp(`^Invalid config ${path}: ${escape(message)}`),
    );
  });

  it.each([
    ['true', 'server.trust_proxy must be false, a number of proxy hops, or a list of proxy addresses (got true)'],
    ['-1', 'server.trust_proxy must be a whole number of hops'],
    ['[10.0.0.0/33]', 'server.trust_proxy lists "10.0.0.0/33", which is not an IP address or CIDR range'],
    ['[proxy.local]', 'server.trust_proxy lists "proxy.local", which is not an IP address or CIDR range'],
  ])('refuses trust_proxy %s', (value, message) => {
    const path = write(`server:\n  trust_proxy: ${value}\n`);
    expect(() => loadConfig({ path, env: {}, cwd: dir })).toThrow(`Invalid config ${path}: ${message}`);
  });

  it.each([
    ['false', false],
    ['2', 2],
    ['[127.0.0.1, 10.0.0.0/8, "::1"]', ['127.0.0.1', '10.0.0.0/8', '::1']],
  ])('accepts trust_proxy %s', (value, expected) => {
    const path = write(`server:\n  trust_proxy: ${value}\n`);
    expect(loadConfig({ path, env: {}, cwd: dir }).config.server.trust_proxy).toEqual(expected);
  });

  it("accepts the operator's own keys where the config has no fixed ones", () => {
    const path = write(
      'pipeline:\n  commands: { script: "echo hi" }\n  command_env: { MY_VAR: x }\nui:\n  features: { beta: true }\n',
    );
    expect(loadConfig({ path, env: {}, cwd: dir }).config.pipeline.command_env).toEqual({ MY_VAR: 'x' });
  });

  it('comments every key of conf/operator.yaml (on its line, the line above, or its mapping for stage maps)', () => {
    const lines = readFileSync(resolve(__dirname, '../../conf/operator.yaml'), 'utf8').split('\n');
    const uncommented = lines.flatMap((line, index) => {
      const leaf = /^(\s*)([a-z_]+):\s*\S/.exec(line);
      if (!leaf || line.includes('#')) return [];
      if (lines[index - 1]?.trim().startsWith('#')) return [];
      const indent = leaf[1].length;
      const parent = lines
        .slice(0, index)
        .reverse()
        .find((above) => /^\s*[a-z_]+:/.test(above) && above.search(/\S/) < indent);
      return parent?.includes('#') ? [] : [line.trim()];
    });
    expect(uncommented).toEqual([]);
  });

  it('ships conf/operator.yaml with every key of the built-in defaults, and the same values', () => {
    const text = readFileSync(resolve(__dirname, '../../conf/operator.yaml'), 'utf8');
    expect(parse(text)).toEqual(defaultConfigObject());
  });

  it('uses built-in defaults equal to the shipped conf/operator.yaml when the file is missing', () => {
    const shipped = loadConfig({ path: resolve(__dirname, '../../conf/operator.yaml'), env: {}, cwd: dir });
    const defaults = loadConfig({ path: join(dir, 'missing.yaml'), env: {}, cwd: dir });
    expect(defaults.loadedFromFile).toBe(false);
    expect(shipped.loadedFromFile).toBe(true);
    expect(JSON.parse(JSON.stringify(defaults.config))).toEqual(JSON.parse(JSON.stringify(shipped.config)));
    expect(defaults.config.server.port).toBe(8008);
    expect(defaults.config.pipeline.stage_timeouts).toEqual({
      outline: 30,
      research: 45,
      script: 60,
      storyboard: 120,
      assets: 180,
      animatics: 90,
      audio: 60,
      assemble: 120,
      acceptance: 30,
    });
    expect(defaults.config.gates.script).toMatchObject({
      required: true,
      auto_approve: false,
      auto_approve_after_s: null,
    });
    expect(defaults.config.gates.assemble).toMatchObject({
      required: false,
      auto_approve: true,
      auto_approve_after_s: 7200,
    });
    expect(defaults.adminToken).toBe('default-admin-token-change-me');
    expect(defaults.isDefaultToken).toBe(true);
  });

  it('merges a partial file over the defaults and resolves storage paths against the working dir', () => {
    const loaded = loadConfig({
      path: write('server:\n  port: 9001\nstorage:\n  runs_dir: data/runs\n'),
      env: {},
      cwd: dir,
    });
    expect(loaded.config.server.port).toBe(9001);
    expect(loaded.config.server.host).toBe('127.0.0.1');
    expect(loaded.config.storage.runs_dir).toBe(join(dir, 'data/runs'));
    expect(loaded.config.storage.db_path).toBe(join(dir, 'jobs.db'));
  });

  it('takes PORT, the token env var and OPERATOR_CONFIG from the environment', () => {
    const path = write('security:\n  admin_token_env: MY_TOKEN\n');
    const loaded = loadConfig({
      env: { OPERATOR_CONFIG: path, PORT: '9100', MY_TOKEN: 's3cret', ADMIN_TOKEN: 'ignored' },
      cwd: dir,
    });
    expect(loaded.path).toBe(path);
    expect(loaded.config.server.port).toBe(9100);
    expect(loaded.adminToken).toBe('s3cret');
    expect(loaded.isDefaultToken).toBe(false);
    expect(JSON.stringify(loaded.config)).not.toContain('s3cret');
  });

  it.each([
    ['bad YAML', 'server: [1, 2\n', 'not valid YAML'],
    ['a top level that is a list', '- 1\n- 2\n', 'the top level must be a mapping'],
    ['a port that is text', 'server:\n  port: abc\n', 'server.port'],
    ['an unknown log level', 'server:\n  log_level: loud\n', 'server.log_level'],
    [
      'an unknown gate stage',
      'gates:\n  editing: {required: true, auto_approve: false, auto_approve_after_s: null}\n',
      'gates.editing is not a stage',
    ],
    ['a gate that is not a mapping', 'gates:\n  script: yes\n', 'gates.script must be a mapping'],
    ['a gate flag of the wrong type', 'gates:\n  script: {required: "sometimes"}\n', 'gates.script.required'],
    [
      'an unknown stage timeout',
      'pipeline:\n  stage_timeouts: {editing: 5}\n',
      'pipeline.stage_timeouts.editing is not a stage',
    ],
    [
      'a negative stage timeout',
      'pipeline:\n  stage_timeouts: {script: -5}\n',
      'pipeline.stage_timeouts.script must be a positive number',
    ],
    ['an unknown runner', 'pipeline:\n  runner: docker\n', 'pipeline.runner'],
    ['an empty command', 'pipeline:\n  commands: {script: ""}\n', 'pipeline.commands.script'],
    ['zero concurrent jobs', 'pipeline:\n  max_concurrent_jobs: 0\n', 'pipeline.max_concurrent_jobs'],
    ['a heartbeat of zero', 'events:\n  heartbeat_seconds: 0\n', 'events.heartbeat_seconds'],
  ])('stops on %s with one line naming the key', (_name, yaml, expected) => {
    const path = write(yaml);
    let error: unknown;
    try {
      loadConfig({ path, env: {}, cwd: dir });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(expected);
    expect(message).toContain(path);
    expect(message).not.toContain('\n');
  });

  it('refuses a PORT that is not a port', () => {
    expect(() => loadConfig({ path: join(dir, 'none.yaml'), env: { PORT: 'eighty' }, cwd: dir })).toThrow(
      'PORT must be an integer',
    );
  });

  describe('cluster mode keys', () => {
    const cluster = 'storage: { engine: postgres }\nbus: { engine: nats }\n';

    it('takes DATABASE_URL, NATS_URL and INSTANCE_ID over the file, and names an instance by host and pid by default', () => {
      const path = write(cluster);
      const env = { DATABASE_URL: 'postgres://u:pw@db:5432/x', NATS_URL: 'nats://bus:4222', INSTANCE_ID: 'node7' };
      const { config } = loadConfig({ path, env, cwd: dir });
      expect(config.storage.postgres_url).toBe(env.DATABASE_URL);
      expect(config.bus.nats_url).toBe(env.NATS_URL);
      expect(config.cluster.instance_id).toBe('node7');
      expect(loadConfig({ path, env: {}, cwd: dir }).config.cluster.instance_id).toMatch(
        new RegExp(`:${process.pid}$`),
      );
    });

    it('refuses a URL of the wrong scheme for an engine in use, without its password', () => {
      const path = write(cluster);
      const load = () => loadConfig({ path, env: { DATABASE_URL: 'mysql://root:hunter22@db/x' }, cwd: dir });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(
        /storage\.postgres_url must start with postgres:\/\/ or postgresql:\/\/ \(got "mysql:\/\/root:\*\*\*@db\/x"\)/,
      );
    });

    it('ignores the URL of an engine not in use', () => {
      const path = write('storage: { postgres_url: "not a url" }\n');
      expect(loadConfig({ path, env: {}, cwd: dir }).config.storage.engine).toBe('sqlite');
    });

    it('refuses the NATS bus on the embedded SQLite store, and a stream name NATS would split', () => {
      expect(() => loadConfig({ path: write('bus: { engine: nats }\n'), env: {}, cwd: dir })).toThrow(
        /bus\.engine nats needs storage\.engine postgres/,
      );
      expect(() =>
        loadConfig({
          path: write('storage: { engine: postgres }\nbus: { engine: nats, stream: "a.b" }\n'),
          env: {},
          cwd: dir,
        }),
      ).toThrow(/bus\.stream/);
    });
  });
});
