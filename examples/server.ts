import type { Server } from "node:http";
import { MemorySessionStore, type CompleteSessionStore } from "../src/index.js";
import { createExampleApp } from "./app/index.js";
import { demoConfig } from "./app/demo.js";
import { openRedisStore } from "./app/redis.js";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? 3000);
const config = demoConfig();

/** RedisSessionStore when REDIS_URL is set (key prefix REDIS_PREFIX), else the embedded memory store. */
async function openStore(): Promise<{ store: CompleteSessionStore; close: () => Promise<void>; label: string }> {
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl !== undefined && redisUrl !== "") {
    return openRedisStore(redisUrl, process.env.REDIS_PREFIX ?? "express-logout:example:");
  }
  const store = new MemorySessionStore();
  return { store, label: "memory (embedded MemorySessionStore)", close: () => { store.close(); return Promise.resolve(); } };
}

const { store, close, label } = await openStore().catch((error: unknown) => {
  console.error(`could not open the session store: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
const server: Server = await new Promise((resolve) => {
  const s = createExampleApp({
    store,
    config,
    publicUrl: process.env.PUBLIC_URL ?? `http://${host}:${port}`,
    ...(process.env.SESSION_IDLE_TIMEOUT_MS === undefined ? {} : { sessionIdleTimeoutMs: Number(process.env.SESSION_IDLE_TIMEOUT_MS) }),
    ...(process.env.RETURN_TO_ALLOW === undefined ? {} : { returnToAllow: process.env.RETURN_TO_ALLOW.split(",").map((v) => v.trim()).filter(Boolean) }),
  }).app.listen(port, host, () => { resolve(s); });
});
const address = server.address();
const url = typeof address === "object" && address !== null ? `http://${host}:${address.port}` : `http://${host}:${port}`;

console.log(`express-logout example app listening on ${url}
store: ${label}

demo data:
  user alice  password ${config.alicePassword}  email ${config.aliceEmail}  (no permissions)
  user admin  password ${config.adminPassword}  permissions view-device-management, logout-device-management, logout-other-user  TOTP secret ${config.adminTotpSecret}
  admin page  ${url}/admin
  API key ${config.apiKey}  secret ${config.apiSecret}  (belongs to alice)
  Kratos admin API key ${config.adminApiKey}  (Authorization: Bearer, for /admin/sessions and /admin/identities)
  SOAJS tenant key ${config.tenantKey}  tenant ${config.tenant.id} (${config.tenant.code})
`);

let closing = false;
function shutdown(signal: string): void {
  if (closing) return;
  closing = true;
  console.log(`${signal}: closing`);
  server.close(() => {
    close().then(() => process.exit(0), () => process.exit(1));
  });
  server.closeAllConnections();
  setTimeout(() => process.exit(1), 5_000).unref();
}
process.on("SIGINT", () => { shutdown("SIGINT"); });
process.on("SIGTERM", () => { shutdown("SIGTERM"); });
