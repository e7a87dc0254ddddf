/**
 * A reason the service cannot start that the operator fixes (data in use, an engine unreachable, a
 * database of another schema): main.ts prints it as one `[<context>] ERROR: <message>` line and
 * exits 1, with no stack trace.
 */
export class StartupError extends Error {
  constructor(
    readonly context: string,
    message: string,
  ) {
    super(message);
  }
}
