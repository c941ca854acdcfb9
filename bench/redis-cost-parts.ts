/** A variant of a script with one or more of its parts taken out, for `npm run bench:redis-cost` only. */
export interface ScriptPart {
  /** What the variant leaves out, as the report's row says it after "the logout script" ("without ...", "cut short ..."). */
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
 * The statements of the logout script's lookup after which a variant stops, longest first: what is left of the
 * lookup alone once the answer (the record's fields sent back) and the liveness check are cut, then the record's
 * read, then the escaping of the owner's key part. Routed scripts only (the route is read in the script).
 */
const LOOKUP_CUTS = [
  {
    without: "cut short once the token index and the record's 14 fields are read (GET, HMGET): no liveness check, no answer",
    statement: "local f, member, tokenKey = tokenSession(base, ARGV[2], ARGV[3])",
  },
  {
    without: "cut short once the user's key base is built from the route's owner (its key part escaped): no token index, no record",
    statement: "local base = ARGV[1] .. 'user:{' .. keypart(owner) .. '}:'",
  },
  { without: "cut short after the route's read (GET of the token's route)", statement: "local owner = redis.call('GET', KEYS[1])" },
] as const;

/**
 * The logout script (`endSessionByTokenHash`'s) less more and more of its parts, each taken out of the source the
 * store itself loaded, then a script that answers nothing with the same keys and arguments (what the call costs
 * alone), and between the two the lookup cut short at its statements (`LOOKUP_CUTS`).
 */
export function logoutScriptParts(source: string): ScriptPart[] {
  const parts: ScriptPart[] = [];
  let text = source;
  for (const { without, statement } of LOGOUT_PARTS) {
    const at = placeOf(text, statement);
    text = text.slice(0, at) + text.slice(at + statement.length);
    parts.push({ without, source: text });
  }
  // The lookup, cut shorter and shorter: each variant runs the script up to a statement and answers nothing.
  for (const { without, statement } of LOOKUP_CUTS) {
    const at = placeOf(source, statement);
    parts.push({ without, source: `${source.slice(0, at + statement.length)}\nreturn false` });
  }
  parts.push({ without: "answering at once (the call alone: its keys and arguments, no command)", source: "return false" });
  return parts;
}

/** Where `statement` is in `source`; an error unless it is there exactly once (the variants must follow the script). */
function placeOf(source: string, statement: string): number {
  const at = source.indexOf(statement);
  if (at < 0 || source.indexOf(statement, at + 1) >= 0) throw new Error(`the logout script no longer holds \`${statement}\` exactly once: update bench/redis-cost-parts.ts`);
  return at;
}
