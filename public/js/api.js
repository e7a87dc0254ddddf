// The console's only door to the service: the public HTTP API of docs/API.md, with the admin token.

const API = '/api/v1';
const TOKEN_KEY = 'jobevents.token';
const OPERATOR_KEY = 'jobevents.operator';

/** The token (and who uses it) live in sessionStorage: one tab, forgotten when the tab closes. */
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  operator: () => sessionStorage.getItem(OPERATOR_KEY) ?? '',
  save: (token, operator) => {
    sessionStorage.setItem(TOKEN_KEY, token);
    if (operator) sessionStorage.setItem(OPERATOR_KEY, operator);
    else sessionStorage.removeItem(OPERATOR_KEY);
  },
  clear: () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(OPERATOR_KEY);
  },
};

/** An answer that is not 2xx, with the service's `detail` as the message. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export class Api {
  /**
   * `operator`, when given, is sent with every action and recorded as who acted (docs/API.md, "Errors").
   * `onUnauthorized` runs on any 401: the token was changed or revoked under us.
   */
  constructor(token, operator = '', onUnauthorized = () => {}) {
    this.token = token;
    this.operator = operator;
    this.onUnauthorized = onUnauthorized;
  }

  listJobs(status, limit = 100) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (status) query.set('status', status);
    return this.request('GET', `/jobs?${query}`);
  }

  job(id) {
    return this.request('GET', `/jobs/${id}`);
  }

  createJob(body) {
    return this.request('POST', '/jobs', this.signed(body));
  }

  /** `action`: approve, reject, resume or cancel. */
  act(id, action, body = {}) {
    return this.request('POST', `/jobs/${id}/${action}`, this.signed(body));
  }

  signed(body) {
    return this.operator ? { ...body, operator: this.operator } : body;
  }

  events(id, since, limit = 1000) {
    return this.request('GET', `/jobs/${id}/events?since=${since}&limit=${limit}`);
  }

  /** EventSource cannot send headers: stream routes take the token as `access_token` (docs/API.md, "Errors"). */
  streamUrl(id, since) {
    const query = new URLSearchParams({ since: String(since), access_token: this.token });
    return `${API}/jobs/${id}/events/stream?${query}`;
  }

  /** An artifact's bytes, fetched with the token (a plain link could not carry it). */
  async artifact(id, path) {
    const response = await this.send('GET', `/jobs/${id}/artifacts/file?path=${encodeURIComponent(path)}`);
    return response.blob();
  }

  async request(method, path, body) {
    const response = await this.send(method, path, body);
    return response.json();
  }

  async send(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(API + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(0, 'The service cannot be reached');
    }
    if (response.ok) return response;
    if (response.status === 401) this.onUnauthorized();
    throw new ApiError(response.status, await detailOf(response));
  }
}

async function detailOf(response) {
  try {
    const body = await response.json();
    if (typeof body.detail === 'string') return body.detail;
    return JSON.stringify(body.detail ?? body);
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}
