/**
 * JSON text of single values, for what writes a fixed text from a template instead of serializing a whole
 * object per request (the shapes' answers, the JWT deny-list's key). Each answers exactly what `JSON.stringify`
 * writes for that value as a member of an object, or `undefined` when it cannot say so alone (the caller then
 * serializes the object itself, so its bytes never depend on which path wrote them).
 *
 * Strings, numbers and booleans are written here without a call of `JSON.stringify` each: under load its fixed
 * cost per call (about 0.3 µs) made a template of a dozen values as slow as the one call on the whole object.
 */

/** What JSON escapes in a string: the quote, the backslash, control characters and lone surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A string as JSON, or `undefined` when the value is not a string. */
export function stringLiteral(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** A list of strings as JSON (`undefined` is the empty list), or `undefined` for anything else. */
export function stringListLiteral(list: unknown): string | undefined {
  if (list === undefined) return "[]";
  if (!Array.isArray(list)) return undefined;
  let out = "[";
  for (let i = 0; i < list.length; i++) {
    const item = stringLiteral(list[i]);
    if (item === undefined) return undefined;
    out += i === 0 ? item : `,${item}`;
  }
  return `${out}]`;
}

/**
 * Any value as JSON, as it is written under a key of an object: `undefined` for a value an object would leave
 * out (undefined, a function, a symbol) and for one with its own `toJSON` (which is told the key it is written
 * under, and here there is none).
 */
export function valueLiteral(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return stringLiteral(value);
    case "number":
      // Number#toString is JSON's own rule for a finite number (-0 included); the rest is null.
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (typeof (value as { toJSON?: unknown }).toJSON === "function") return undefined;
      // JSON.stringify answers undefined for what it leaves out, whatever its declared type says.
      const text: string | undefined = JSON.stringify(value);
      return text;
    }
    default:
      // undefined, a function or a symbol is left out of an object; a bigint throws there as here.
      return typeof value === "bigint" ? JSON.stringify(value) : undefined;
  }
}

/**
 * A template of JSON text whose holes are literals from this file: the text, or `undefined` when any hole is
 * (a value it could not write alone), so a caller falls back to `JSON.stringify` with one `??`.
 */
export function jsonText(parts: TemplateStringsArray, ...literals: readonly (string | undefined)[]): string | undefined {
  let out = parts[0] ?? "";
  for (let i = 0; i < literals.length; i++) {
    const literal = literals[i];
    if (literal === undefined) return undefined;
    out += literal + (parts[i + 1] ?? "");
  }
  return out;
}
