import { SetupError } from "../../options/index.js";
import type { Request, RequestHandler, Response } from "express";
import { LogoutError, errorKinds } from "../../errors.js";
import { constantTimeEqual, hashSecret } from "../../secrets.js";
import { guarded } from "../../deadline.js";
import type { Authentication, UserRecord } from "../../types.js";
import { commonOptionNames, type CommonOptions, type Runtime } from "../options.js";
import { requireTotp, type RequireTotpOptions } from "../require-totp.js";
import { authenticate, loadUser, precheck, rememberAuthentication, withUser } from "../runtime/index.js";

/** `requireTotp`'s own options, for a gate's `totp`. */
export type AdminTotpOptions = Omit<RequireTotpOptions, keyof CommonOptions | "users">;

/** The caller's user must hold a permission (every one of a list), then, by default, pass a TOTP step-up. */
export interface PermissionGate {
  /** Asked of `users.hasPermission` on every request; only a literal `true` grants. */
  readonly permission: string | readonly string[];
  /**
   * A TOTP step-up after the permission (`requireTotp`, with these options when an object). `false` is refused at
   * setup for a product whose admin routes ask a second factor (Rocket.Chat).
   * @defaultValue `true`
   */
  readonly totp?: boolean | AdminTotpOptions;
}

/**
 * An admin API key in `Authorization: Bearer <key>` (Ory Network's admin API keys, a service's key). The host
 * keeps only `hashSecret(key)` of each; a presented key is hashed and compared in constant time with every one.
 */
export interface ApiKeyGate {
  /** `hashSecret(key)` of every admin key accepted; never the keys themselves. */
  readonly apiKeyHashes: readonly string[];
}

/** Who may use an admin route. Every admin factory requires one; there is no default. */
export type AdminGate = PermissionGate | ApiKeyGate;

/** Who passed the gate. */
export type AdminCaller =
  | { readonly kind: "session"; readonly auth: Authentication; readonly user: UserRecord }
  | { readonly kind: "api-key" };

/** A gate, checked at setup: `pass` answers the caller, or `undefined` when the gate already answered the request. */
export interface CompiledGate {
  /**
   * `isSelf`: a route a user may also use on their own sessions without the permission (Rocket.Chat's
   * `users.logout` of oneself); when it answers `true` for the authenticated caller, permission and step-up are
   * not asked.
   */
  pass(req: Request, res: Response, validate: () => void, isSelf?: (req: Request, auth: Authentication) => boolean): Promise<AdminCaller | undefined>;
}

/** Runs a middleware to its end: `true` when it called `next()`, `false` when it answered the request itself. */
function runMiddleware(middleware: RequestHandler, req: Request, res: Response): Promise<boolean> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const answered = (): void => {
      if (settled) return;
      settled = true;
      resolve(false);
    };
    res.once("finish", answered);
    res.once("close", answered);
    void middleware(req, res, (error?: unknown) => {
      res.off("finish", answered);
      res.off("close", answered);
      if (settled) return;
      settled = true;
      if (error === undefined || error === null) resolve(true);
      else reject(error instanceof Error ? error : new Error("the step-up middleware failed", { cause: error }));
    });
  });
}

/**
 * Checks a factory's `gate` option at setup and compiles it. A missing or malformed gate, or a gate without
 * the second factor the product requires, is a `TypeError` that says what to pass.
 */
export function compileGate(factory: string, raw: unknown, rt: Runtime, options: CommonOptions, requiresSecondFactor: boolean, permissionErrorKind?: string): CompiledGate {
  const example = `\`gate: { permission: "view-device-management" }\` (plus a TOTP step-up by default) or \`gate: { apiKeyHashes: [hashSecret(adminKey)] }\``;
  if (typeof raw !== "object" || raw === null) {
    throw new SetupError("option-invalid", `${factory} acts on other users' sessions and needs a \`gate\`: ${example}.`);
  }
  if ("apiKeyHashes" in raw) {
    const hashes: unknown = (raw as ApiKeyGate).apiKeyHashes;
    if (!Array.isArray(hashes) || hashes.length === 0 || !hashes.every((h) => typeof h === "string" && /^[A-Za-z0-9_-]{43}$/.test(h))) {
      throw new SetupError("option-invalid", `${factory} \`gate.apiKeyHashes\` must be a non-empty array of \`hashSecret(key)\` values (never the keys themselves).`);
    }
    if (requiresSecondFactor) {
      throw new SetupError("option-invalid", `${factory} with shape \`${rt.shape.name}\` needs a permission gate with a TOTP step-up, as the product asks a second factor here: \`gate: { permission: "..." }\`.`);
    }
    return apiKeyGate(hashes as string[]);
  }
  const gate = raw as PermissionGate;
  const permissions: unknown = typeof gate.permission === "string" ? [gate.permission] : gate.permission;
  if (!Array.isArray(permissions) || permissions.length === 0 || !permissions.every((p) => typeof p === "string" && p !== "")) {
    throw new SetupError("option-invalid", `${factory} \`gate\` needs a \`permission\` (a name or a non-empty array of names) or \`apiKeyHashes\`: ${example}.`);
  }
  const users = rt.users;
  if (users === undefined || typeof users.hasPermission !== "function") {
    throw new SetupError("option-invalid", `${factory} with a permission gate needs \`users\` with \`hasPermission(user, permission)\`.`);
  }
  const totpOption: unknown = gate.totp ?? true;
  if (totpOption !== true && totpOption !== false && (typeof totpOption !== "object" || totpOption === null)) {
    throw new SetupError("option-invalid", `${factory} \`gate.totp\` must be true, false or requireTotp's options.`);
  }
  if (totpOption === false && requiresSecondFactor) {
    throw new SetupError("option-invalid", `${factory} with shape \`${rt.shape.name}\` cannot turn off \`gate.totp\`: the product asks a TOTP code on this route.`);
  }
  // The step-up speaks the route's shape and reads the same store: only the common options are handed on.
  const common: Record<string, unknown> = {};
  for (const name of Object.keys(commonOptionNames) as (keyof CommonOptions)[]) if (options[name] !== undefined) common[name] = options[name];
  // requireTotp checks at setup that the store has the markers and counters it needs.
  const step = totpOption === false ? undefined : requireTotp({ ...(common as unknown as RequireTotpOptions), users, ...(totpOption === true ? {} : totpOption) });
  const hasPermission = users.hasPermission.bind(users);
  return {
    async pass(req, res, validate, isSelf) {
      const shapeGate = precheck(req, rt);
      if (shapeGate !== undefined) await shapeGate;
      const auth = await authenticate(req, rt);
      const user = auth.user ?? (await loadUser(rt, auth.session.userId));
      if (user === undefined) throw new LogoutError("unauthenticated", "the session's user no longer exists");
      const caller = withUser(auth, user);
      rememberAuthentication(req, caller);
      validate();
      if (isSelf?.(req, auth) === true) return { kind: "session", auth: caller, user };
      for (const name of permissions as string[]) {
        const answer: unknown = await guarded("users.hasPermission", () => Promise.resolve(hasPermission(user, name)), rt.guard);
        if (answer !== true) {
          throw new LogoutError("forbidden", "User does not have the permissions required for this action", permissionErrorKind === undefined ? {} : { kind: permissionErrorKind });
        }
      }
      if (step !== undefined && !(await runMiddleware(step, req, res))) return undefined;
      return { kind: "session", auth: caller, user };
    },
  };
}

function apiKeyGate(hashes: readonly string[]): CompiledGate {
  return {
    pass(req, _res, validate) {
      const header = req.headers.authorization;
      const match = typeof header === "string" ? /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header) : null;
      if (match === null) return Promise.reject(new LogoutError("unauthenticated", "this admin route needs an admin API key in Authorization: Bearer", { kind: errorKinds.adminCredential }));
      const presented = hashSecret(match[1] ?? "");
      // Every hash is compared, whichever matches, so the time taken says nothing about which key is valid.
      let granted = false;
      for (const hash of hashes) granted = constantTimeEqual(presented, hash) || granted;
      if (!granted) return Promise.reject(new LogoutError("unauthenticated", "unknown admin API key", { kind: errorKinds.adminCredential }));
      try {
        validate();
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return Promise.resolve({ kind: "api-key" });
    },
  };
}
