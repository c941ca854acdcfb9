/**
 * Reads the user of an express-session's data: the id of the person the session is logged in as, or
 * `undefined` for a session without one (an anonymous cart, a login page's CSRF session).
 */
export type SessionUserId = (data: Readonly<Record<string, unknown>>) => unknown;

/**
 * The default `userId` of `trackSessions`: passport's `data.passport.user`, else `data.userId`. A string is
 * the id; a finite number becomes its decimal string (passport apps often serialize a numeric row id).
 */
export function defaultSessionUserId(data: Readonly<Record<string, unknown>>): unknown {
  const passport = data.passport;
  if (typeof passport === "object" && passport !== null && "user" in passport) {
    const user = (passport as { user?: unknown }).user;
    if (user !== undefined && user !== null) return user;
  }
  return data.userId;
}

/**
 * Turns what a `userId` reader answered into a user id: a non-empty string, or a finite number as its decimal
 * string; `undefined`, `null` and `""` mean "no user". Anything else (passport serializing a whole user
 * object, a boolean) cannot be told apart from a mistake, so it is refused with a message that says what to
 * write instead of being taken for "no user" (which would leave a logged-in session untracked).
 */
export function normaliseUserId(value: unknown, custom: boolean): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  const found = typeof value === "object" ? "an object" : `a ${typeof value}`;
  throw new TypeError(
    custom
      ? `express-logout: trackSessions \`userId(data)\` answered ${found}; it must answer the user's id (a string or a number), or undefined for a session without a user.`
      : `express-logout: trackSessions found ${found} where it looks for the user's id (\`data.passport.user\`, else \`data.userId\`). ` +
          "Pass `userId: (data) => ...` answering the id, e.g. `userId: (data) => data.passport?.user?.id` when passport serializes the whole user.",
  );
}
