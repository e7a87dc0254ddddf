import { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { OperatorConfig } from '../config/operator-config';

/** The OpenAPI page and its assets (src/common/openapi.ts). */
function isDocsPath(path: string): boolean {
  return path === '/docs' || path.startsWith('/docs/');
}

/** "default-src 'self'; img-src *" → { 'default-src': ["'self'"], 'img-src': ['*'] } for helmet. */
export function cspDirectives(policy: string): Record<string, string[]> {
  const directives: Record<string, string[]> = {};
  for (const part of policy.split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) directives[name] = values;
  }
  return directives;
}

type Middleware = (request: Request, response: Response, next: NextFunction) => void;

/** helmet for the configured headers, with `directives` as its Content-Security-Policy. */
function helmetFor(config: OperatorConfig, directives: Record<string, string[]>): Middleware {
  const headers = config.security.security_headers;
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives },
    strictTransportSecurity: { maxAge: headers.hsts_seconds, includeSubDomains: true },
    xContentTypeOptions: headers.x_content_type_options.toLowerCase() === 'nosniff',
    xFrameOptions: { action: headers.x_frame_options.toLowerCase() === 'sameorigin' ? 'sameorigin' : 'deny' },
    // helmet only writes "0" (today's advice); the reference's configured value is kept instead.
    xXssProtection: false,
  });
}

/**
 * Security headers (helmet) and CORS from `security.*` (docs/OPERATIONS.md, "Configuration"), on every response — SSE included,
 * since Nest's stream writer keeps headers set before it.
 */
export function applyHttpHardening(app: INestApplication, config: OperatorConfig): void {
  const headers = config.security.security_headers;
  if (headers.enabled) {
    const policy = cspDirectives(headers.content_security_policy);
    const everywhere = helmetFor(config, policy);
    // Swagger UI (served from this host, its assets included) sets inline styles and draws data: SVG
    // icons: allowed on /docs only. Its scripts are files of its own, so script-src stays as it is.
    const docs = helmetFor(config, {
      ...policy,
      'style-src': ["'self'", "'unsafe-inline'"],
      'img-src': ["'self'", 'data:'],
    });
    app.use((request: Request, response: Response, next: NextFunction) =>
      (isDocsPath(request.path) ? docs : everywhere)(request, response, next),
    );
    app.use((_request: Request, response: Response, next: NextFunction) => {
      response.setHeader('X-XSS-Protection', headers.x_xss_protection);
      next();
    });
  }
  const cors = config.security.cors;
  if (cors.enabled) {
    app.enableCors({
      origin: cors.allow_origins,
      credentials: cors.allow_credentials,
      methods: cors.allow_methods,
      allowedHeaders: cors.allow_headers,
      exposedHeaders: cors.expose_headers,
      maxAge: cors.max_age,
    });
  }
}

/**
 * The security headers every API response gets (the same for every request outside /docs), as
 * helmet sets them, for a writer that answers without Express (events/poll-fast-path.ts). A test
 * compares them with a routed answer's.
 */
export function apiSecurityHeaders(config: OperatorConfig): Record<string, string> {
  const headers = config.security.security_headers;
  if (!headers.enabled) return {};
  const recorded: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => (recorded[name] = String(value)),
    removeHeader: (name: string) => delete recorded[name],
  };
  helmetFor(config, cspDirectives(headers.content_security_policy))(
    {} as Request,
    recorder as unknown as Response,
    () => undefined,
  );
  return { ...recorded, 'X-XSS-Protection': headers.x_xss_protection };
}
