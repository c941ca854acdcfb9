/**
 * What a store or host failure may tell an operator. A backend's error object can hold far more than its
 * message: ioredis keeps the command and its arguments (keys built from token hashes), PostgreSQL the row
 * that conflicted. The library hands on a copy with only the name, the code and the message, and the message
 * with every run that could be a token, a token hash or a logout token replaced by `[redacted]`.
 */

/** Runs of 32 or more base64url, base64 or hex characters: tokens and their hashes are 43 or more. */
const SECRET_LIKE = /[A-Za-z0-9+/_-]{32,}={0,2}/g;
/** Longer messages are cut: a log line, not a dump. */
const MAX_MESSAGE_LENGTH = 500;
/** How deep `cause` chains (and AggregateError members) are followed. */
const MAX_DEPTH = 3;

/** An underlying failure as the `store.error` event and the 503's `LogoutError.cause` carry it. */
export interface FailureCause extends Error {
  /** The backend's own code, when it has one: `ECONNREFUSED`, `ETIMEDOUT`, PostgreSQL's `57P01`, ... */
  readonly code?: string;
}

/** Replaces what could be a secret in a message by `[redacted]`, and cuts it to a log line. */
export function redactMessage(message: string): string {
  const redacted = message.replace(SECRET_LIKE, "[redacted]");
  return redacted.length > MAX_MESSAGE_LENGTH ? `${redacted.slice(0, MAX_MESSAGE_LENGTH)}…` : redacted;
}

/**
 * A safe copy of whatever a store or host callback threw or rejected with: an `Error` with the original's
 * name, code and redacted message (and its own `cause`, the same way); `undefined` for `undefined`.
 */
export function failureCause(thrown: unknown, depth = 0): FailureCause | undefined {
  if (thrown === undefined) return undefined;
  if (typeof thrown !== "object" || thrown === null) return copy("Error", describePrimitive(thrown), undefined, undefined);
  const source = thrown as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };
  const name = typeof source.name === "string" && source.name !== "" ? source.name : "Error";
  const code = typeof source.code === "string" || typeof source.code === "number" ? redactMessage(String(source.code)) : undefined;
  let message = typeof source.message === "string" ? source.message : "";
  // Node's dual-stack connect fails with an AggregateError whose own message is empty.
  if (message === "" && Array.isArray(source.errors)) {
    message = source.errors.map((member: unknown) => failureCause(member, MAX_DEPTH)?.message ?? "").filter((m) => m !== "").join("; ");
  }
  if (message === "") message = code ?? name;
  const inner = depth < MAX_DEPTH && source.cause !== undefined && source.cause !== thrown ? failureCause(source.cause, depth + 1) : undefined;
  return copy(name, redactMessage(message), code, inner);
}

function describePrimitive(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  return `a thrown ${typeof value}`;
}

function copy(name: string, message: string, code: string | undefined, cause: FailureCause | undefined): FailureCause {
  const error: Error & { code?: string } = cause === undefined ? new Error(message) : new Error(message, { cause });
  error.name = name;
  if (code !== undefined) error.code = code;
  // The copy's stack would point into the library, not at the failure: leave only its first line.
  error.stack = `${name}: ${message}`;
  return error;
}
