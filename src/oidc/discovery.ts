/** Default time the provider's metadata is kept before it is fetched again: one hour. */
export const DEFAULT_DISCOVERY_CACHE_MS = 60 * 60_000;

/** The provider's end-session endpoint could not be learnt: the logout answers 503 before ending anything. */
export class DiscoveryUnavailableError extends Error {
  override readonly name = "DiscoveryUnavailableError";
}

/**
 * The `end_session_endpoint` of an issuer, from its `/.well-known/openid-configuration`: fetched once, kept for
 * `cacheMs`, shared by concurrent callers, and kept past its age while the provider cannot be reached (an
 * endpoint rarely moves; a logout that cannot reach the metadata should still send the browser there).
 */
export function endSessionEndpointOf(issuer: string, cacheMs: number, timeoutMs: number): () => Promise<string> {
  const url = `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
  let known: { endpoint: string; at: number } | undefined;
  let pending: Promise<string> | undefined;

  async function fetchEndpoint(): Promise<string> {
    let body: unknown;
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, redirect: "manual", signal: AbortSignal.timeout(Math.ceil(timeoutMs)) });
      if (response.status !== 200) throw new Error(`answered ${response.status}`);
      body = await response.json();
    } catch (cause) {
      throw new DiscoveryUnavailableError(`the provider's metadata at ${url} could not be fetched`, { cause });
    }
    const metadata = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    // OpenID Connect Discovery §4.3: the metadata must name exactly the issuer it was fetched for.
    if (metadata.issuer !== issuer) throw new DiscoveryUnavailableError(`the provider's metadata names the issuer ${JSON.stringify(metadata.issuer)}, not ${JSON.stringify(issuer)}`);
    const endpoint = metadata.end_session_endpoint;
    if (typeof endpoint !== "string" || !isEndpoint(endpoint, issuer)) {
      throw new DiscoveryUnavailableError("the provider's metadata has no usable end_session_endpoint (is RP-initiated logout turned on at the provider?)");
    }
    return endpoint;
  }

  return async function endSessionEndpoint(): Promise<string> {
    if (known !== undefined && Date.now() - known.at < cacheMs) return known.endpoint;
    pending ??= fetchEndpoint().then(
      (endpoint) => {
        known = { endpoint, at: Date.now() };
        pending = undefined;
        return endpoint;
      },
      (error: unknown) => {
        pending = undefined;
        if (known !== undefined) return known.endpoint;
        throw error;
      },
    );
    return pending;
  };
}

/** An absolute http(s) URL without a fragment; plain http only for an http issuer (a local development provider). */
export function isEndpoint(value: string, issuer: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.hash !== "" || url.username !== "" || url.password !== "") return false;
  return url.protocol === "https:" || (url.protocol === "http:" && issuer.startsWith("http://"));
}
