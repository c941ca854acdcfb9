import express from "express";
import { generate } from "otplib";
import { bodySessionId, createLogoutHandler, issueSession, requirePermission, requireTotp, shapes } from "#bench/library";
import { openSessions } from "../sessions.js";
import type { Pipeline } from "../types.js";

const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const sessionId = bodySessionId("sessionId");
let admins = 0;

/**
 * Rocket.Chat `POST /api/v1/sessions/logout`: authentication, body, permission, TOTP (claimed once per admin and
 * time step, counted for throttling) and the end of another user's session. Each request has its own admin (a
 * valid code is single use per admin and step, so replay protection is exercised, not bypassed) and its own
 * target session.
 */
export const rocketChatLogoutPipeline: Pipeline = {
  id: "rocket-chat-logout",
  title: "Rocket.Chat POST /api/v1/sessions/logout (permission + TOTP)",
  kind: "logout",
  method: "POST",
  route: "/api/v1/sessions/logout",
  template: {
    method: "POST",
    path: "/api/v1/sessions/logout",
    headers: { "content-type": "application/json", "x-user-id": "{{0}}", "x-auth-token": "{{1}}", "x-2fa-code": "{{2}}" },
    body: '{"sessionId":"{{3}}"}',
  },
  success: { status: 200, body: { sessionId: "00000000-0000-4000-8000-000000000000", success: true } },
  host: () => [express.json({ limit: "8kb" })],
  handlers({ store, users }) {
    const rc = { store, users, shape: shapes.rocketChat };
    return [
      requirePermission("logout-device-management", { ...rc, validate: sessionId }),
      requireTotp(rc),
      createLogoutHandler({ ...rc, target: sessionId }),
    ];
  },
  async feed({ store, users }, n) {
    const targets = await openSessions(store, n);
    const code = await generate({ secret: TOTP_SECRET });
    const rows: string[][] = [];
    for (const target of targets) {
      const id = `admin-${String(admins++)}`;
      users.add(id, { permissions: ["logout-device-management"], totpSecret: TOTP_SECRET });
      const { token } = await issueSession(store, { userId: id });
      rows.push([id, token, code, target.session.id]);
    }
    return { rows, cycle: false };
  },
};
