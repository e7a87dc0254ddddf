import http from 'node:http';

export interface HttpResult {
  status: number;
  body: any;
}

/** One request with the bench's token over `agent`, the body sent and parsed as JSON. */
export function requestJson(
  agent: http.Agent,
  target: { baseUrl: string; token: string },
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  return new Promise<HttpResult>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${target.token}` };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const req = http.request(`${target.baseUrl}${path}`, { method, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** Creates jobs one after the other; returns their ids. */
export async function postJobs(
  request: (method: string, path: string, body?: unknown) => Promise<HttpResult>,
  count: number,
  slug: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { status, body } = await request('POST', '/api/v1/jobs', { slug: `${slug}-${i}`, intent: 'benchmark' });
    if (status !== 201) throw new Error(`POST /api/v1/jobs answered ${status}: ${JSON.stringify(body)}`);
    ids.push(body.id as string);
  }
  return ids;
}
