import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestApp, bootTestApp, removeDir } from './helpers/app';

/** Every "METHOD /path" documented in docs/API.md's section headings. */
function routesOfApiDoc(): string[] {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'API.md'), 'utf8');
  const routes = new Set<string>();
  for (const heading of doc.match(/^### .+$/gm) ?? []) {
    for (const [, method, path] of heading.matchAll(/`(GET|POST|DELETE) ([^`]+)`/g)) {
      routes.add(`${method.toLowerCase()} ${path.replace(/\?.*$/, '').replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  // /docs and /openapi.json serve the document itself; / is the console page, not an API route.
  return [...routes].filter((route) => !/ \/(docs|openapi\.json)?$/.test(route)).sort();
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('lists every route of docs/API.md with its responses', async () => {
    const { body } = await t.http().get('/openapi.json').expect(200);
    expect(body.openapi).toMatch(/^3\./);
    const documented = Object.entries(body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`),
    );
    const expected = routesOfApiDoc();
    expect(expected.length).toBeGreaterThanOrEqual(20);
    expect(documented.sort()).toEqual(expect.arrayContaining(expected));
    for (const [path, methods] of Object.entries(body.paths as Record<string, Record<string, any>>)) {
      for (const [method, operation] of Object.entries(methods)) {
        const ok = operation.responses['200'] ?? operation.responses['201'];
        expect([`${method} ${path}`, ok !== undefined]).toEqual([`${method} ${path}`, true]);
      }
    }
  });

  it('describes request and response schemas', async () => {
    const { body } = await t.http().get('/openapi.json').expect(200);
    const schemas = body.components.schemas;
    expect(Object.keys(schemas.CreateJobDto.properties)).toEqual(
      expect.arrayContaining(['slug', 'intent', 'brief', 'brief_config', 'meta']),
    );
    expect(schemas.CreateJobDto.required).toEqual(expect.arrayContaining(['slug', 'intent']));
    expect(Object.keys(schemas.EventSchema.properties)).toEqual(
      expect.arrayContaining([
        'id',
        'job_id',
        'ts',
        'timestamp',
        'type',
        'event_type',
        'stage',
        'status',
        'message',
        'payload',
      ]),
    );
    expect(Object.keys(schemas.JobSchema.properties)).toEqual(expect.arrayContaining(['gates', 'artifacts', 'cfg']));
    expect(Object.keys(schemas.ErrorSchema.properties)).toEqual(['statusCode', 'detail']);
    const create = body.paths['/api/v1/jobs'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateJobDto');
    expect(create.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/JobSchema');
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http().get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger');
  });
});
