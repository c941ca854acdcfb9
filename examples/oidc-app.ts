// Single sign-out with a real OpenID Provider, on one machine: `npx tsx examples/oidc-app.ts` (PORT, HOST,
// OIDC_PROVIDER_PORT). It starts a development OpenID Provider (node-oidc-provider, with its development login and
// consent pages: any name, any password) and an app that signs in through it. Sign in, then sign out at the
// provider: the provider tells the app (back-channel logout), and the app's session has ended too.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import { MemorySessionStore } from "express-logout";
import { BACKCHANNEL_PATH, CALLBACK_PATH, LOGGED_OUT_PATH, createOidcApp } from "./oidc-relying-party.js";

const host = process.env.HOST ?? "127.0.0.1";
const store = new MemorySessionStore();
const clientId = "express-logout-example";
const clientSecret = "example-client-secret-not-for-production";

async function listen(port: number): Promise<{ server: ReturnType<typeof createServer>; url: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  return { server, url: `http://${host}:${typeof address === "object" && address !== null ? address.port : port}` };
}

// Both listen first: the app's URL is what the provider registers, the provider's URL is its issuer.
const app = await listen(Number(process.env.PORT ?? 3000));
const op = await listen(Number(process.env.OIDC_PROVIDER_PORT ?? 0));

// The provider. Development settings only: keys made at start, an in-memory adapter, its dev login pages.
const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const provider = new Provider(op.url, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [`${app.url}${CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${app.url}${LOGGED_OUT_PATH}`],
    backchannel_logout_uri: `${app.url}${BACKCHANNEL_PATH}`,
    backchannel_logout_session_required: true, // ID tokens and logout tokens carry `sid`
  }],
  jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "dev-key", alg: "RS256", use: "sig" }] as never },
  cookies: { keys: [crypto.randomUUID()] },
  findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
  ttl: { Interaction: 600, Session: 86_400, Grant: 86_400, AccessToken: 3600, IdToken: 3600 },
  features: { devInteractions: { enabled: true }, backchannelLogout: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  // The provider refuses to call loopback addresses (its SSRF protection); here the app runs on this machine.
  fetch: (url, init) => {
    const { dispatcher: _filtered, ...plain } = init as RequestInit & { dispatcher?: unknown };
    return globalThis.fetch(url, plain);
  },
});
const callback = provider.callback();
op.server.on("request", (req, res) => { void callback(req, res); });

// LOGOUT_SECRET signs the logout state; without it, logouts under way at a restart fail their state check.
const logoutSecret = process.env.LOGOUT_SECRET ?? randomBytes(32).toString("base64url");
app.server.on("request", await createOidcApp({ store, issuer: op.url, clientId, clientSecret, publicUrl: app.url, logoutSecret }));

console.log(`express-logout OIDC example listening on ${app.url} (OpenID Provider on ${op.url})
  1. open ${app.url}/ and sign in through the provider (any name, any password), then consent
  2. sign out at the provider: ${op.url}/session/end ("Yes, sign me out")
  3. reload ${app.url}/: the provider's back-channel logout has ended the app's session
  or press "Log out" in the app: its session ends, then the provider's (RP-initiated logout), and you are back`);

const stop = () => {
  for (const { server } of [app, op]) {
    server.close();
    server.closeAllConnections();
  }
  store.close();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
