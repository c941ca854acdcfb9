import { randomUUID } from "node:crypto";
import { generateToken, hashSecret } from "../secrets.js";
import type { SessionRecord } from "../types.js";

/** A fresh, valid session record for `userId`; the token is random and only its hash is kept. */
export function sampleSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: randomUUID(),
    userId,
    tokenHash: hashSecret(generateToken()),
    createdAt: now,
    expiresAt: now + 60_000,
    ...overrides,
  };
}
