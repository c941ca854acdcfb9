// Single sign-out with a real OpenID Provider, on one machine: `npx tsx examples/oidc-app.ts` (PORT, HOST,
// OIDC_PROVIDER_PORT). It starts a development OpenID Provider and an app that signs in through it; sign in, then
// sign out at the provider, and the app's session has ended too (back-channel logout).
import { createServer } from "node:http";
import { MemorySessionStore } from "express-logout";
import { startDevProvider } from "./oidc-provider.js";
import { BACKCHANNEL_PATH, CALLBACK_PATH, createOidcApp } from "./oidc-relying-party.js";

const host = process.env.HOST ?? "127.0.0.1";
const store = new MemorySessionStore();
// The app listens first: its URL is what the provider registers as redirect and back-channel URIs.
const server = createServer();
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 3000), host, resolve));
const address = server.address();
const publicUrl = `http://${host}:${typeof address === "object" && address !== null ? address.port : 3000}`;

const clientId = "express-logout-example";
const clientSecret = "example-client-secret-not-for-production";
const op = await startDevProvider({
  port: Number(process.env.OIDC_PROVIDER_PORT ?? 0),
  host,
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [`${publicUrl}${CALLBACK_PATH}`],
    post_logout_redirect_uris: [`${publicUrl}/oidc/logged-out`],
    backchannel_logout_uri: `${publicUrl}${BACKCHANNEL_PATH}`,
    backchannel_logout_session_required: true,
  }],
});
server.on("request", await createOidcApp({ store, issuer: op.issuer, clientId, clientSecret, publicUrl }));

console.log(`express-logout OIDC example listening on ${publicUrl} (OpenID Provider on ${op.issuer})
  1. open ${publicUrl}/ and sign in (any name, any password), consent
  2. sign out at the provider: ${op.issuer}/session/end ("Yes, sign me out")
  3. reload ${publicUrl}/: the provider's back-channel logout ended the app's session`);

const stop = () => {
  server.close();
  server.closeAllConnections();
  void op.close();
  store.close();
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
