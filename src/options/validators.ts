import { SetupError } from "./setup-error.js";

/** RFC 9110 `token`: what a header name, a cookie name and many parameter names may hold. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether a value is an RFC 9110 token (a header or cookie name). */
export function isHttpToken(value: unknown): value is string {
  return typeof value === "string" && HTTP_TOKEN.test(value);
}

/** An HTTP header name, lower-cased (Node's `req.headers` keys are). */
export function headerNameOption(who: string, option: string, value: unknown): string {
  if (!isHttpToken(value)) throw new SetupError("option-invalid", `${who} \`${option}\` must be an HTTP header name, received ${describe(value)}.`);
  return value.toLowerCase();
}

/** A cookie name (an RFC 9110 token). */
export function cookieNameOption(who: string, option: string, value: unknown): string {
  if (!isHttpToken(value)) {
    throw new SetupError("option-invalid", `${who} \`${option}\` must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~), received ${describe(value)}.`);
  }
  return value;
}

/** A positive, finite number. */
export function positiveOption(who: string, option: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new SetupError("option-invalid", `${who} \`${option}\` must be a positive number, received ${describe(value)}.`);
  }
  return value;
}

/** A whole number from `min` to `max`. */
export function integerOption(who: string, option: string, value: unknown, min: number, max: number, unit = ""): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SetupError("option-invalid", `${who} \`${option}\` must be a whole number${unit === "" ? "" : ` of ${unit}`} from ${min} to ${max}, received ${describe(value)}.`);
  }
  return value;
}

/** `true` or `false`. */
export function booleanOption(who: string, option: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new SetupError("option-invalid", `${who} \`${option}\` must be a boolean, received ${describe(value)}.`);
  return value;
}

/** One of a few literal values. */
export function oneOfOption<T extends string>(who: string, option: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new SetupError("option-invalid", `${who} \`${option}\` must be ${listOr(allowed.map((a) => JSON.stringify(a)))}, received ${describe(value)}.`);
  }
  return value as T;
}

/** A function. */
export function functionOption(who: string, option: string, value: unknown, shape: string): (...args: never[]) => unknown {
  if (typeof value !== "function") throw new SetupError("option-invalid", `${who} \`${option}\` must be a function ${shape}.`);
  return value as (...args: never[]) => unknown;
}

/** "a, b or c". */
export function listOr(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1] ?? ""}`;
}

/** A value as a message quotes it: never more than 60 characters of it. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "undefined" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "function" ? "a function" : "an object";
}
