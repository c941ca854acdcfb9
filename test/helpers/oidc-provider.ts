// A real OpenID Provider (node-oidc-provider) for the tests: its development login and consent pages (any login
// name, any password), back-channel logout and RP-initiated logout turned on, keys the tests can sign with.
import { createServer, type Server } from "node:http";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider, { type ClientMetadata, type Configuration } from "oidc-provider";

export interface DevProviderOptions {
  /** The port the provider listens on (0: any free port). */
  readonly port: number;
  readonly host?: string;
  /** The clients registered at the provider (the apps that sign in through it). */
  readonly clients: readonly ClientMetadata[];
  /** The provider's signing keys (private JWKs). Default: one RS256 key generated at start. */
  readonly signingKeys?: readonly JWK[];
}

export interface DevProvider {
  /** The issuer identifier, e.g. "http://127.0.0.1:3001". */
  readonly issuer: string;
  readonly provider: Provider;
  readonly server: Server;
  /** The private signing keys in use (tests sign their own tokens with them). */
  readonly signingKeys: readonly JWK[];
  close(): Promise<void>;
}

/** A generated RS256 signing key as a private JWK with a `kid`. */
export async function generateSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
}

export async function startDevProvider(options: DevProviderOptions): Promise<DevProvider> {
  const host = options.host ?? "127.0.0.1";
  const signingKeys = options.signingKeys ?? [await generateSigningKey("dev-key-1")];
  const configuration: Configuration = {
    clients: [...options.clients],
    jwks: { keys: [...signingKeys] as never },
    cookies: { keys: [crypto.randomUUID()] },
    // Any login name is an account; its subject is the login name.
    findAccount: (_ctx, accountId) => ({ accountId, claims: () => ({ sub: accountId }) }),
    // Lifetimes in seconds (the provider asks for them to be chosen, not defaulted).
    ttl: { Interaction: 600, Session: 14 * 24 * 3600, Grant: 14 * 24 * 3600, AccessToken: 3600, IdToken: 3600 },
    features: {
      devInteractions: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.body = `<!DOCTYPE html><title>Sign out</title><h1>Sign out of the provider?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`;
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.body = "<!DOCTYPE html><title>Signed out</title><h1>You are signed out of the provider.</h1>";
        },
      },
    },
    // The provider refuses to call loopback and private addresses (its SSRF protection). Here the app it sends
    // back-channel logouts to runs on this machine, so its requests go out without that filter.
    fetch: (url, init) => {
      const { dispatcher: _filtered, ...plain } = init as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, plain);
    },
  };
  // The issuer's port is known only once the server listens: listen first, then build the provider and answer.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port, host, resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const issuer = `http://${host}:${port}`;
  const provider = new Provider(issuer, configuration);
  provider.on("server_error", (_ctx, error) => { console.error("provider error:", error); });
  const callback = provider.callback();
  server.on("request", (req, res) => { void callback(req, res); });
  return {
    issuer,
    provider,
    server,
    signingKeys,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => { resolve(); });
        server.closeAllConnections();
      }),
  };
}
