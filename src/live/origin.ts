import type { IncomingMessage } from "node:http";

/** Which pages may open a live connection: see `WatchSessionsOptions.origins`. */
export type OriginPolicy = "same-origin" | "any" | readonly string[];

/**
 * Compiles the origin policy once. A browser sends `Origin` with every WebSocket handshake and every
 * cross-origin EventSource request; without this check a page of another site could open a WebSocket that
 * rides the victim's session cookie (cross-site WebSocket hijacking), since the upgrade is a plain GET.
 */
export function compileOriginPolicy(policy: unknown = "same-origin"): (req: IncomingMessage) => boolean {
  if (policy === "any") return () => true;
  if (policy === "same-origin") {
    return (req) => {
      const origin = req.headers.origin;
      if (origin === undefined) return true;
      const host = req.headers.host;
      return host !== undefined && hostOf(origin) === host.toLowerCase();
    };
  }
  if (Array.isArray(policy) && policy.length > 0 && policy.every((o) => typeof o === "string")) {
    const allowed = new Set((policy as readonly string[]).map((o) => {
      const normal = normalOrigin(o);
      if (normal === undefined) throw new TypeError(`express-logout: watchSessions \`origins\` has ${JSON.stringify(o)}, which is not an origin such as "https://app.example".`);
      return normal;
    }));
    return (req) => {
      const origin = req.headers.origin;
      if (origin === undefined) return true;
      const normal = normalOrigin(origin);
      return normal !== undefined && allowed.has(normal);
    };
  }
  throw new TypeError('express-logout: watchSessions `origins` must be "same-origin" (the default), "any", or a non-empty list of origins such as ["https://app.example"].');
}

function normalOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.origin === "null" ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
