/** A URL as it may be shown (logs, responses, the config report): its password replaced by ***. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === '') return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL: a password could sit anywhere in it, so show only its scheme.
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0];
    return scheme ? `${scheme}//***` : '***';
  }
}

/** The passwords of these URLs (decoded, and as written), for the log's redaction list. */
export function urlPasswords(...urls: string[]): string[] {
  return urls.flatMap((url) => {
    try {
      const { password } = new URL(url);
      return password ? [password, decodeURIComponent(password)] : [];
    } catch {
      return [];
    }
  });
}
