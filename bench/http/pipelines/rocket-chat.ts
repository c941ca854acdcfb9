import { createHmac, timingSafeEqual } from "node:crypto";
import express, { type Response } from "express";
import { generate } from "otplib";
import { bodySessionId, createLogoutHandler, issueSession, requirePermission, requireTotp, shapes } from "#bench/library";
import { FloorSessions } from "../floor/sessions.js";
import { benchUserId, openSessions } from "../sessions.js";
import type { FloorEnv, FloorRoute, Pipeline } from "../types.js";

const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const sessionId = bodySessionId("sessionId");
const PERMISSION = "logout-device-management";
let admins = 0;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Bytes(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    value = (value << 5) | BASE32.indexOf(char);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** RFC 4226's code for one counter: HMAC-SHA1, dynamic truncation, six digits. */
function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac("sha1", key).update(message).digest();
  const offset = mac[19]! & 0xf;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 1_000_000).padStart(6, "0");
}

/** The time step (this one, then one either side) whose code is `code`, or `undefined`. */
function matchingStep(key: Buffer, code: string, now: number): number | undefined {
  const current = Math.floor(now / 30_000);
  for (const step of [current, current - 1, current + 1]) {
    if (timingSafeEqual(Buffer.from(hotp(key, step)), Buffer.from(code.padEnd(6).slice(0, 6)))) return step;
  }
  return undefined;
}

function refuse(res: Response): void {
  res.status(401).end();
}

/**
 * The least this admin logout does: the caller's token hashed and found, its user and permission read, the
 * TOTP code checked (HMAC-SHA1 of this step first) and claimed once per user and step, the target session
 * ended by id in a Map, and Rocket.Chat's answer. No throttle counting: the library's is extra safety.
 */
function rocketChatFloor({ users, answer }: FloorEnv): FloorRoute {
  const sessions = new FloorSessions();
  const claimed = new Set<string>();
  return {
    handlers: [
      function rocketChatFloorLogout(req, res) {
        const { "x-user-id": userId, "x-auth-token": token, "x-2fa-code": code } = req.headers;
        const target: unknown = (req.body as { sessionId?: unknown } | undefined)?.sessionId;
        if (typeof userId !== "string" || typeof token !== "string" || typeof code !== "string" || typeof target !== "string" || !UUID.test(target)) return refuse(res);
        const admin = sessions.find(token)?.userId === userId ? users.userNow(userId) : undefined;
        if (admin?.totpSecret === undefined || !admin.permissions.has(PERMISSION)) return refuse(res);
        const step = matchingStep(base32Bytes(admin.totpSecret), code, Date.now());
        if (step === undefined || claimed.has(`${userId}:${String(step)}`)) return refuse(res);
        claimed.add(`${userId}:${String(step)}`);
        if (sessions.endById(target) === undefined) return refuse(res);
        answer(res, { sessionId: target, success: true });
      },
    ],
    async feed(n) {
      const code = await generate({ secret: TOTP_SECRET });
      const rows: string[][] = [];
      for (let i = 0; i < n; i++) {
        const target = sessions.open(benchUserId(i)).session;
        const id = `admin-${String(admins++)}`;
        users.add(id, { permissions: [PERMISSION], totpSecret: TOTP_SECRET });
        rows.push([id, sessions.open(id).token, code, target.id]);
      }
      return { rows, cycle: false };
    },
    liveSessions: () => sessions.size,
  };
}

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
  floor: { does: "find the caller's session, check the permission, verify and claim the TOTP code, end the target in a Map", start: rocketChatFloor },
  handlers({ store, users }) {
    const rc = { store, users, shape: shapes.rocketChat };
    return [
      requirePermission(PERMISSION, { ...rc, validate: sessionId }),
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
      users.add(id, { permissions: [PERMISSION], totpSecret: TOTP_SECRET });
      const { token } = await issueSession(store, { userId: id });
      rows.push([id, token, code, target.session.id]);
    }
    return { rows, cycle: false };
  },
};
