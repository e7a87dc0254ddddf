import { AppLogger, LogRecord } from './app-logger';

function capture(
  level: 'debug' | 'info' | 'warning' | 'error',
  secrets: string[] = [],
  format: 'text' | 'json' = 'text',
) {
  const lines: string[] = [];
  return { logger: new AppLogger(level, secrets, (line) => lines.push(line), format), lines };
}

describe('AppLogger', () => {
  it('never throws at the caller when its output fails, and says how many lines it lost once it works again', () => {
    const lines: string[] = [];
    let isFull = true;
    const logger = new AppLogger('info', [], (line) => {
      if (isFull) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      lines.push(line);
    });
    expect(() => logger.error('state.json not written', 'orchestrator')).not.toThrow();
    expect(() => logger.batch(() => ['one', 'two'].forEach((line) => logger.log(line, 'events')))).not.toThrow();
    isFull = false;
    logger.log('back', 'events');
    expect(lines).toEqual([
      expect.stringMatching(/ \[events\] INFO: back$/),
      expect.stringMatching(/ \[api\] WARNING: 3 console line\(s\) could not be written/),
    ]);
  });

  it('writes "<ISO time> [tag] LEVEL: message" with the project tag of the context', () => {
    const { logger, lines } = capture('debug');
    logger.log('hello', 'events');
    logger.warn('careful', 'security');
    logger.error('broken', 'stack trace here', 'orchestrator');
    logger.debug('details', 'config');
    expect(lines).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[events\] INFO: hello$/),
      expect.stringMatching(/ \[security\] WARNING: careful$/),
      expect.stringMatching(/ \[orchestrator\] ERROR: broken$/),
      expect.stringMatching(/ \[config\] DEBUG: details$/),
    ]);
  });

  it("tags Nest's own contexts [api] and keeps its start-up chatter at debug, 'successfully started' included", () => {
    const { logger, lines } = capture('info');
    logger.log('Mapped {/api/v1/jobs, POST} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.log('Job store opened', 'SomeNestContext');
    expect(lines).toEqual([expect.stringMatching(/ \[api\] INFO: Job store opened$/)]);
    const verbose = capture('debug');
    verbose.logger.log('Nest application successfully started', 'NestApplication');
    expect(verbose.lines).toEqual([expect.stringMatching(/ \[api\] DEBUG: Nest application successfully started$/)]);
  });

  it("leaves a port Nest cannot bind to main.ts's own line, and keeps every other Nest error an error", () => {
    const { logger, lines } = capture('info');
    logger.error('Error: listen EADDRINUSE: address already in use 127.0.0.1:8008', 'NestApplication');
    logger.error('Error: something else broke', 'NestApplication');
    expect(lines).toEqual([expect.stringMatching(/ \[api\] ERROR: Error: something else broke$/)]);
  });

  it("tags a line with the project module that wrote it, whichever module, and Nest's contexts [api]", () => {
    const { logger, lines } = capture('info');
    logger.log('Retention deleted 1 finished job(s)', 'jobs');
    logger.log('boom', 'ExceptionsHandler');
    expect(lines).toEqual([
      expect.stringMatching(/ \[jobs\] INFO: Retention/),
      expect.stringMatching(/ \[api\] INFO: boom$/),
    ]);
  });

  it('writes one JSON object a line with log_format json: time, level, context, message and the fields', () => {
    const { logger, lines } = capture('debug', [], 'json');
    logger.log(new LogRecord('[job] stage_started', { job_id: 'j1', event_id: 7, stage: 'outline' }), 'events');
    logger.error('broken\n  at frame', 'stack', 'orchestrator');
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      level: 'info',
      context: 'events',
      message: '[job] stage_started',
      job_id: 'j1',
      event_id: 7,
      stage: 'outline',
    });
    expect(second).toMatchObject({ level: 'error', context: 'orchestrator', message: 'broken\n  at frame' });
    const text = capture('info');
    text.logger.log(new LogRecord('only the message', { job_id: 'j1' }), 'events');
    expect(text.lines).toEqual([expect.stringMatching(/ \[events\] INFO: only the message$/)]);
  });

  it('redacts secrets in JSON lines value by value, even a secret that JSON would escape', () => {
    const secret = 'tok"en\\123';
    const { logger, lines } = capture('info', [secret], 'json');
    logger.log(new LogRecord(`token ${secret}`, { header: `Bearer ${secret}`, nested: { value: secret } }), 'api');
    expect(lines[0]).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(JSON.parse(lines[0])).toMatchObject({ message: 'token ***', nested: { value: '***' } });
  });

  it('writes the lines a batch logs at once, in their order, also when the batch throws', () => {
    const { logger, lines } = capture('info');
    logger.batch(() => {
      logger.log('one', 'events');
      logger.batch(() => logger.warn('two', 'events'));
      logger.debug('below the level', 'events');
      expect(lines).toEqual([]);
    });
    expect(lines).toHaveLength(1);
    expect(lines[0].split('\n')).toEqual([
      expect.stringMatching(/ \[events\] INFO: one$/),
      expect.stringMatching(/ \[events\] WARNING: two$/),
    ]);
    expect(() =>
      logger.batch(() => {
        logger.log('three', 'events');
        throw new Error('sink failed');
      }),
    ).toThrow('sink failed');
    expect(lines[1]).toMatch(/ \[events\] INFO: three$/);
    logger.log('four', 'events');
    expect(lines).toHaveLength(3);
  });

  it('honours the level', () => {
    const { logger, lines } = capture('warning');
    logger.log('no', 'events');
    logger.debug('no', 'events');
    logger.warn('yes', 'events');
    expect(lines).toHaveLength(1);
  });

  it('redacts the secret, bearer values and access_token values from every line', () => {
    const { logger, lines } = capture('info', ['tok-123']);
    logger.log('token tok-123 in text', 'api');
    logger.log('GET /stream?since=1&access_token=abc&x=1', 'api');
    logger.log('Authorization: Bearer xyz-secret-value', 'api');
    logger.log('Missing bearer token', 'api');
    expect(lines.join('\n')).not.toMatch(/tok-123|abc|xyz-secret/);
    expect(lines[3]).toContain('Missing bearer token');
    expect(lines[1]).toContain('access_token=***&x=1');
    expect(lines[2]).toContain('Bearer ***');
  });

  it.each([
    ['/jobs?access%5Ftoken=abc123', '/jobs?access%5Ftoken=***'],
    ['/jobs?since=1&%61ccess%5ftoken=abc123&x=1', '/jobs?since=1&%61ccess%5ftoken=***&x=1'],
    ['/jobs?ACCESS%5FTOKEN=abc123', '/jobs?ACCESS%5FTOKEN=***'],
    ['/jobs?other%5Fkey=abc123', '/jobs?other%5Fkey=abc123'],
    ['/jobs?bad%zz=abc123', '/jobs?bad%zz=abc123'],
  ])('masks a percent-encoded access_token key: %s', (url, expected) => {
    const { logger, lines } = capture('info');
    logger.log(`GET ${url}`, 'api');
    expect(lines[0]).toContain(expected);
  });
});
