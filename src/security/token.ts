import { createHash, timingSafeEqual } from 'node:crypto';

/** Constant-time comparison: both sides are hashed first, so neither length nor content leaks by timing. */
export function tokensMatch(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), hashOfExpected(expected));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The configured token's hash, made once (it is the same on every request). */
let expectedHash: { token: string; hash: Buffer } | undefined;
function hashOfExpected(token: string): Buffer {
  if (expectedHash?.token !== token) expectedHash = { token, hash: sha256(token) };
  return expectedHash.hash;
}

/** The bearer token of an `Authorization` header, or null. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
