import { AppLogger } from './app-logger';

function capture(level: 'debug' | 'info' | 'warning' | 'error', secrets: string[] = []) {
  const lines: string[] = [];
  return { logger: new AppLogger(level, secrets, (line) => lines.push(line)), lines };
}

describe('AppLogger', () => {
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
