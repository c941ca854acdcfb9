/**
 * JSON text of single values, for the shapes that write a fixed answer from a template instead of serializing a
 * whole object per request. Each answers exactly what `JSON.stringify` writes for that value as a member of an
 * object, or `undefined` when it cannot say so alone (the caller then serializes the object itself, so its bytes
 * never depend on which path wrote them).
 */

/** A string as JSON, or `undefined` when the value is not a string. */
export function stringLiteral(value: unknown): string | undefined {
  return typeof value === "string" ? JSON.stringify(value) : undefined;
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
  if (typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function") return undefined;
  // JSON.stringify answers undefined for what it leaves out, whatever its declared type says.
  const text: string | undefined = JSON.stringify(value);
  return text;
}
