import http from 'node:http';
import https from 'node:https';

/** A tiny client of the public API (JOBS_API_URL, ADMIN_TOKEN); errors carry the server's `detail`. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw this.unreachable(error);
    }
    const text = await response.text();
    const parsed = text ? safeJson(text) : null;
    if (!response.ok) {
      const detail = (parsed as { detail?: unknown } | null)?.detail ?? text;
      throw new ApiError(
        response.status,
        `${response.status}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`,
      );
    }
    return parsed as T;
  }

  /** A file's bytes (an artifact). */
  async download(path: string): Promise<Buffer> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { headers: { Authorization: `Bearer ${this.token}` } });
    } catch (error) {
      throw this.unreachable(error);
    }
    if (!response.ok) throw new ApiError(response.status, `${response.status}: ${await response.text()}`);
    return Buffer.from(await response.arrayBuffer());
  }

  /** Opens an SSE request; resolves with the response (the caller reads frames). */
  openStream(path: string, lastEventId: number | null): Promise<{ response: http.IncomingMessage; close: () => void }> {
    const url = new URL(`${this.baseUrl}${path}`);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.get(
        url,
        {
          headers: {
            Accept: 'text/event-stream',
            Authorization: `Bearer ${this.token}`,
            ...(lastEventId !== null ? { 'Last-Event-ID': String(lastEventId) } : {}),
          },
        },
        (response) => resolve({ response, close: () => request.destroy() }),
      );
      request.on('error', (error) => reject(this.unreachable(error)));
    });
  }

  /** "cannot reach http://127.0.0.1:8008 (ECONNREFUSED)": the URL and the cause, not fetch's "fetch failed". */
  private unreachable(error: unknown): ConnectionError {
    const cause = (error as { cause?: unknown }).cause ?? error;
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code ?? (cause instanceof Error ? cause.message : String(cause));
    return new ConnectionError(
      `cannot reach ${this.baseUrl} (${reason}); is the service running? (--url, JOBS_API_URL)`,
    );
  }
}

/** The server could not be reached at all (refused, unknown host, reset). */
export class ConnectionError extends Error {}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
