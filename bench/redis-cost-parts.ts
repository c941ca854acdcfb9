/** A variant of a script with one or more of its parts taken out, for `npm run bench:redis-cost` only. */
export interface ScriptPart {
  /** What the variant leaves out, as the report's row says it ("without ..."). */
  readonly without: string;
  readonly source: string;
}

/** The logout script's statements a variant takes out, in the order they are taken out one after another. */
const LOGOUT_PARTS = [
  { without: "without the announcement on the revocation feed", statement: "announce(ARGV[5], base, f[1], f[2], ARGV[4])" },
  { without: "without the announcement and the user index entry's removal (ZREM)", statement: "redis.call('ZREM', base .. 'sessions', member)" },
  { without: "without those and the record's and token index's removal (DEL): the lookup alone", statement: "redis.call('DEL', base .. 'session:' .. member, tokenKey)" },
] as const;

/**
 * The logout script (`endSessionByTokenHash`'s) less more and more of its parts, each taken out of the source the
 * store itself loaded, then a script that answers nothing with the same keys and arguments (what the call costs
 * alone). A statement that is not in the source exactly once is an error: the variants must follow the script.
 */
export function logoutScriptParts(source: string): ScriptPart[] {
  const parts: ScriptPart[] = [];
  let text = source;
  for (const { without, statement } of LOGOUT_PARTS) {
    const at = text.indexOf(statement);
    if (at < 0 || text.indexOf(statement, at + 1) >= 0) throw new Error(`the logout script no longer holds \`${statement}\` exactly once: update bench/redis-cost-parts.ts`);
    text = text.slice(0, at) + text.slice(at + statement.length);
    parts.push({ without, source: text });
  }
  parts.push({ without: "answering at once (the call alone: its keys and arguments, no command)", source: "return false" });
  return parts;
}
