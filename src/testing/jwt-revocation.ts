import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { JwtRevocationStore, SessionStore } from "../types.js";
import { newUser, sleep, type StoreInstance } from "./instance.js";

/** The `JwtRevocationStore` contract: the `jti` deny-list, the per-user cut-off, and both asked in one call. */
export function jwtRevocationStoreTests(instance: StoreInstance<SessionStore & JwtRevocationStore>): void {
  const store = instance.store;
  const user = newUser;

  it("answers nothing denied and no cut-off for a user it never saw", async () => {
    expect(await store().jwtRevocation(user(), randomUUID())).toEqual({ denied: false, issuedBefore: undefined });
  });

  it("denies a JWT id for its user until it expires, and only that one", async () => {
    const u = user();
    const jti = randomUUID();
    await store().denyJwt(u, jti, Date.now() + instance.ttlMs);
    expect(await store().jwtRevocation(u, jti)).toEqual({ denied: true, issuedBefore: undefined });
    expect((await store().jwtRevocation(u, randomUUID())).denied).toBe(false);
    expect((await store().jwtRevocation(user(), jti)).denied).toBe(false);
    await sleep(instance.ttlMs * 2 + 20);
    expect((await store().jwtRevocation(u, jti)).denied).toBe(false);
  });

  it("keeps the latest JWT cut-off of a user and forgets it after keepUntil", async () => {
    const u = user();
    const now = Date.now();
    await store().revokeJwtsIssuedBefore(u, now, now + instance.ttlMs);
    expect((await store().jwtRevocation(u, randomUUID())).issuedBefore).toBe(now);
    await store().revokeJwtsIssuedBefore(u, now - 1000, now + instance.ttlMs);
    expect((await store().jwtRevocation(u, randomUUID())).issuedBefore).toBe(now);
    expect((await store().jwtRevocation(user(), randomUUID())).issuedBefore).toBeUndefined();
    await sleep(instance.ttlMs * 2 + 20);
    expect((await store().jwtRevocation(u, randomUUID())).issuedBefore).toBeUndefined();
  });

  it("answers a denied jti and its user's cut-off together", async () => {
    const u = user();
    const jti = randomUUID();
    const now = Date.now();
    await store().denyJwt(u, jti, now + 60_000);
    await store().revokeJwtsIssuedBefore(u, now, now + 60_000);
    expect(await store().jwtRevocation(u, jti)).toEqual({ denied: true, issuedBefore: now });
    expect(await store().jwtRevocation(u, randomUUID())).toEqual({ denied: false, issuedBefore: now });
  });

  it("keeps a JWT cut-off as long as the longest keepUntil asked for", async () => {
    const u = user();
    const now = Date.now();
    await store().revokeJwtsIssuedBefore(u, now, now + 60_000);
    await store().revokeJwtsIssuedBefore(u, now + 1, now + instance.ttlMs);
    await sleep(instance.ttlMs * 2 + 20);
    expect((await store().jwtRevocation(u, randomUUID())).issuedBefore).toBe(now + 1);
  });
}
