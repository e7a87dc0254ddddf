import { LoggerService } from '@nestjs/common';
import { LogFormat, LogLevel } from '../config/operator-config';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };
const LEVEL_LABEL: Record<LogLevel, string> = { debug: 'DEBUG', info: 'INFO', warning: 'WARNING', error: 'ERROR' };
/** The project's own loggers are named after their module in lower case (`events`, `jobs`, …); Nest's are not. */
const PROJECT_TAG = /^[a-z][a-z-]*$/;
/**
 * Nest's own start-up chatter (module and route listings, and "successfully started", which it says
 * before the port is bound) is only interesting when debugging; `[api] Listening on …` is the real one.
 */
const NEST_CHATTER = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

export type LineSink = (line: string) => void;

/** A log message with structured fields: text lines show the message, JSON lines carry both. */
export class LogRecord {
  constructor(
    readonly message: string,
    readonly fields: Record<string, unknown>,
  ) {}
}

/** A `key=value` pair of a query string whose key has a percent escape. */
const ENCODED_PAIR = /([^\s?&;"'=]*%[^\s?&;"'=]*)=([^&\s"']+)/g;

function maskEncodedTokenKey(pair: string, key: string): string {
  let decoded = key;
  try {
    decoded = decodeURIComponent(key);
  } catch {
    // Not valid percent-encoding: Express would not decode it either.
  }
  return decoded.toLowerCase() === 'access_token' ? `${key}=***` : pair;
}

/**
 * The one console logger, honouring server.log_level, with every known secret (and any bearer or
 * access_token value) redacted from every line. server.log_format picks the line:
 *   text  `<ISO time> [<tag>] <LEVEL>: <message>`
 *   json  `{"time":…,"level":"info","context":"events","message":…, …fields}`, one object a line
 */
export class AppLogger implements LoggerService {
  private readonly minRank: number;
  private readonly secrets: string[];
  /** Lines held back while batch() runs. */
  private held: string[] | null = null;
  /** Lines the sink refused (stdout redirected to a full disk), told once a line goes through again. */
  private lost = 0;

  constructor(
    level: LogLevel,
    secrets: string[],
    private readonly sink: LineSink = (line) => process.stdout.write(line + '\n'),
    private readonly format: LogFormat = 'text',
  ) {
    this.minRank = LEVEL_RANK[level];
    this.secrets = secrets.filter((secret) => secret.length > 0);
  }

  /** Runs `print`, then writes the lines it logged at once: one write for many lines, in their order. */
  batch(print: () => void): void {
    if (this.held !== null) return print();
    const held: string[] = (this.held = []);
    try {
      print();
    } finally {
      this.held = null;
      if (held.length > 0) this.deliver(held.join('\n'), held.length);
    }
  }

  isEnabled(level: LogLevel): boolean {
    return LEVEL_RANK[level] >= this.minRank;
  }

  write(level: LogLevel, tag: string, message: string, fields: Record<string, unknown> = {}): void {
    if (!this.isEnabled(level)) return;
    const time = new Date().toISOString();
    if (this.format === 'text') {
      this.emit(`${time} [${tag}] ${LEVEL_LABEL[level]}: ${this.redact(message)}`);
      return;
    }
    // Redacted value by value, before serializing: a secret's JSON-escaped form could hide it.
    const redactedFields = JSON.parse(JSON.stringify(fields), (_key, value: unknown) =>
      typeof value === 'string' ? this.redact(value) : value,
    ) as Record<string, unknown>;
    this.emit(JSON.stringify({ ...redactedFields, time, level, context: tag, message: this.redact(message) }));
  }

  private emit(line: string): void {
    if (this.held !== null) this.held.push(line);
    else this.deliver(line, 1);
  }

  /**
   * Hands `lines` lines to the sink. A sink that throws (a redirected stdout on a full disk) loses
   * them, but never throws at the code that logged: a console line is never why an action fails.
   */
  private deliver(text: string, lines: number): void {
    try {
      this.sink(text);
    } catch {
      this.lost += lines;
      return;
    }
    if (this.lost === 0) return;
    const lost = this.lost;
    this.lost = 0;
    this.write('warning', 'api', `${lost} console line(s) could not be written (the console's output failed)`);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('***');
    // Any other credential-looking value too (a wrong token someone pasted is still somebody's token).
    out = out.replace(/(access_token=)[^&\s"']+/gi, '$1***').replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1***');
    // The same key percent-encoded (`access%5Ftoken=`): Express decodes it and takes it as the token.
    return out.includes('%') ? out.replace(ENCODED_PAIR, maskEncodedTokenKey) : out;
  }

  log(message: unknown, context?: string): void {
    this.fromNest(NEST_CHATTER.has(context ?? '') ? 'debug' : 'info', message, context);
  }
  error(message: unknown, stackOrContext?: string, context?: string): void {
    const from = context ?? stackOrContext;
    // Nest reports a port it cannot bind before rejecting listen(); main.ts says it in one line of its own.
    const isListenFailure = from === 'NestApplication' && /^Error: listen /.test(String(message));
    this.fromNest(isListenFailure ? 'debug' : 'error', message, from);
  }
  warn(message: unknown, context?: string): void {
    this.fromNest('warning', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.fromNest('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.fromNest('debug', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.fromNest('error', message, context);
  }

  private fromNest(level: LogLevel, message: unknown, context?: string): void {
    // Nest's own contexts (RouterExplorer, ExceptionsHandler, …) are the HTTP layer's.
    const tag = context && PROJECT_TAG.test(context) ? context : 'api';
    if (message instanceof LogRecord) return this.write(level, tag, message.message, message.fields);
    const text =
      message instanceof Error
        ? (message.stack ?? message.message)
        : typeof message === 'string'
          ? message
          : JSON.stringify(message);
    this.write(level, tag, text);
  }
}
