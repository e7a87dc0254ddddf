import { InvalidInputError } from '../errors';
import { JsonPatch } from './validate-patch';

const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

function notFound(path: string): never {
  throw new InvalidInputError(`Patch does not apply: path ${path} not found`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 6901 unescaping: "~1" is "/", "~0" is "~" (in that order). */
export function pointerTokens(path: string): string[] {
  return path
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Only own keys and in-range indexes are walked, so "/__proto__/x" can never reach a prototype. */
function child(node: unknown, token: string, path: string): unknown {
  if (Array.isArray(node) && ARRAY_INDEX.test(token) && Number(token) < node.length) return node[Number(token)];
  if (isRecord(node) && Object.hasOwn(node, token)) return node[token];
  return notFound(path);
}

/** A plain data property even for keys like "__proto__", whose assignment would swap the prototype instead. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Applies one RFC 6902 add/replace/remove to `document` in place (callers pass their own copy).
 * add on an array inserts (or appends at "-"); add on an object sets; replace and remove need the target to exist.
 */
export function applyOperationInPlace(operation: JsonPatch, document: unknown): void {
  const { op, path, value } = operation;
  const tokens = pointerTokens(path);
  const last = tokens.pop() as string;
  const parent = tokens.reduce((node, token) => child(node, token, path), document);
  if (Array.isArray(parent)) {
    if (op === 'add' && last === '-') {
      parent.push(value);
      return;
    }
    const limit = op === 'add' ? parent.length : parent.length - 1;
    if (!ARRAY_INDEX.test(last) || Number(last) > limit) notFound(path);
    const index = Number(last);
    if (op === 'add') parent.splice(index, 0, value);
    else if (op === 'replace') parent[index] = value;
    else parent.splice(index, 1);
    return;
  }
  if (!isRecord(parent)) notFound(path);
  if (op !== 'add' && !Object.hasOwn(parent, last)) notFound(path);
  if (op === 'remove') delete parent[last];
  else setOwn(parent, last, value);
}
