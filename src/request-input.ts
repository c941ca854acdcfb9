import type { Request } from "express";

/**
 * The longest token any extractor accepts. Anything longer is refused before it is hashed, so a 10 MB header
 * costs nothing. Session tokens are 43 characters (plus a prefix); JWTs stay far below this.
 */
export const MAX_TOKEN_LENGTH = 4096;

/** Printable ASCII without spaces: what a bearer token, cookie value or header token may hold. */
const TOKEN_PATTERN = /^[\x21-\x7e]+$/;

/** Whether a value can be a token: 1 to `MAX_TOKEN_LENGTH` printable ASCII characters, no spaces. */
export function isUsableToken(value: string | undefined): value is string {
  return value !== undefined && value.length > 0 && value.length <= MAX_TOKEN_LENGTH && TOKEN_PATTERN.test(value);
}

/** One header's value; a repeated header (an array, or a comma-joined list) is not a usable token. */
export function singleHeader(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  if (typeof value !== "string") return undefined;
  return value;
}

/** One query parameter as a single string; repeated (`?a=1&a=2`) or nested values are refused. */
export function singleQuery(req: Request, name: string): string | undefined {
  const query = req.query as Record<string, unknown> | undefined;
  if (query === undefined || !Object.hasOwn(query, name)) return undefined;
  const value = query[name];
  return typeof value === "string" ? value : undefined;
}
