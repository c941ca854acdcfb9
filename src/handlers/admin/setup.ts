import type { NextFunction, Request, RequestHandler, Response } from "express";
import { problemShape } from "../../shapes/problem.js";
import { guarded, malformedAnswer } from "../../deadline.js";
import { isSessionRecord } from "../../store/answers.js";
import type { SessionRecord, UserRecord } from "../../types.js";
import { viewOf } from "../list-sessions.js";
import { SetupError } from "../../options/index.js";
import { commonOptionNames, resolveRuntime, type CommonOptions, type Runtime } from "../options.js";
import { loadUser, settle } from "../runtime/index.js";
import { compileGate, type AdminCaller, type AdminGate, type CompiledGate } from "./gate.js";
import type { AdminSessionView, AdminShape } from "./types.js";
import { withProperties } from "../../with-properties.js";

/** Options every admin factory takes. */
export interface AdminOptions<U extends UserRecord = UserRecord> extends CommonOptions<U> {
  /** Who may use the route: a permission (with a TOTP step-up by default) or admin API keys. Required. */
  readonly gate: AdminGate;
}

export interface AdminRuntime {
  readonly rt: Runtime;
  readonly admin: AdminShape;
  readonly gate: CompiledGate;
}

/**
 * Validates an admin factory's options once, at setup: the common options, a shape that speaks the admin
 * hooks this factory uses, and the gate. The caller's credentials default to the shape's admin list (Kratos
 * leaves its session cookie out of it), then the shape's own.
 */
export function resolveAdmin(
  factory: string,
  options: Readonly<AdminOptions>,
  hooks: readonly (keyof AdminShape)[],
  extraOptionNames: readonly string[] = [],
  permissionErrorKind?: string,
): AdminRuntime {
  const shape = typeof options === "object" && (options as unknown) !== null ? (options.shape ?? problemShape) : problemShape;
  const admin = shape.admin;
  const withCredentials = typeof options === "object" && (options as unknown) !== null && options.credentials === undefined && admin?.credentials !== undefined
    ? { ...options, credentials: admin.credentials }
    : options;
  const rt = resolveRuntime(factory, withCredentials, problemShape, [...Object.keys(commonOptionNames), "gate", ...extraOptionNames]);
  if (admin === undefined) throw new SetupError("shape-unsupported", `${factory}: shape \`${rt.shape.name}\` has no administrator routes (\`shape.admin\`).`);
  const missing = hooks.filter((hook) => typeof admin[hook] !== "function");
  if (missing.length > 0) {
    throw new SetupError("shape-unsupported", `${factory}: shape \`${rt.shape.name}\` does not speak this route (its \`admin\` lacks ${missing.map((m) => `\`${m}\``).join(", ")}).`);
  }
  const gate = compileGate(factory, options.gate, rt, withCredentials, admin.requiresSecondFactor, permissionErrorKind);
  return { rt, admin, gate };
}

/** Mounts an admin step as one Express handler (Express 4 and 5): the gate, then `step`, errors in the shape. */
export function adminHandler(
  ar: AdminRuntime,
  validate: (req: Request) => void,
  step: (req: Request, res: Response, caller: AdminCaller) => Promise<void>,
  isSelf?: Parameters<CompiledGate["pass"]>[3],
): RequestHandler {
  async function run(req: Request, res: Response): Promise<void> {
    const caller = await ar.gate.pass(req, res, () => {
      validate(req);
    }, isSelf);
    if (caller === undefined) return;
    await step(req, res, caller);
  }
  return function adminRouteHandler(req: Request, res: Response, next: NextFunction): void {
    settle(req, res, next, ar.rt, run(req, res));
  };
}

/** Who did it, for events: the admin's user id, or `"admin-api-key"`. */
export function actorOf(caller: AdminCaller): string {
  return caller.kind === "session" ? caller.user.id : "admin-api-key";
}

/** The views of some sessions with their users, each user asked of the directory once. */
export async function adminViews(rt: Runtime, sessions: readonly SessionRecord[], currentId: string | undefined): Promise<AdminSessionView[]> {
  const users = new Map<string, Promise<UserRecord | undefined>>();
  for (const s of sessions) if (!users.has(s.userId)) users.set(s.userId, loadUser(rt, s.userId));
  const views: AdminSessionView[] = [];
  for (const s of sessions) views.push(withProperties(viewOf(s, currentId), { user: await users.get(s.userId) }));
  return views;
}

/** One session by id through the store, under the deadline; a malformed answer is a broken store (503). */
export async function findSession(rt: Runtime, id: string): Promise<SessionRecord | undefined> {
  const answer: unknown = await guarded("getSession", () => rt.store.getSession(id), rt.guard);
  if (answer === undefined || answer === null) return undefined;
  if (!isSessionRecord(answer)) throw malformedAnswer("getSession", rt.guard);
  return answer.expiresAt > Date.now() ? answer : undefined;
}

/** The id of the caller's own session, to mark it `current` in a list. */
export function currentSessionId(caller: AdminCaller): string | undefined {
  return caller.kind === "session" ? caller.auth.session.id : undefined;
}
