import { SetupError } from "./setup-error.js";

/**
 * Every option name of an options type, as an object with one `true` per key. Written with `satisfies` or as
 * `optionNames<Options>({...})`, the compiler refuses a list that misses a key of the type or names one it
 * lacks, so the unknown-option check cannot drift from the type.
 */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true };

/** The names of `OptionNames`, for `checkKnownOptions`. */
export function optionNames<T>(names: OptionNames<T>): readonly string[] {
  return Object.keys(names);
}

/** Whether a value looks like an Express request: a factory mounted without being called gets one. */
export function looksLikeRequest(value: unknown): boolean {
  return typeof value === "object" && value !== null && "method" in value && "headers" in value && "url" in value;
}

/**
 * Refuses anything but an options object, and any option not in `known`, with "Did you mean" when a known
 * name is close. `who` names the factory, store or helper in the message.
 */
export function checkKnownOptions(who: string, options: unknown, known: readonly string[], hint = ""): asserts options is Record<string, unknown> {
  if (looksLikeRequest(options)) {
    throw new SetupError("factory-not-called", `${who} is a factory: mount \`${who}({ ... })\`, not \`${who}\` itself (it was called with a request).`);
  }
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new SetupError("options-missing", `${who} needs an options object${hint === "" ? "" : ` ${hint}`}.`);
  }
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = closest(name, known);
    throw new SetupError(
      "option-unknown",
      `${who} received an unsupported option \`${name}\`.${suggestion === undefined ? ` Known options: ${known.map((k) => `\`${k}\``).join(", ")}.` : ` Did you mean \`${suggestion}\`?`}`,
    );
  }
}

/** The known name within edit distance 2 of `name`, for "Did you mean" hints. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of known) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = saved;
    }
  }
  return row[b.length] ?? 0;
}
