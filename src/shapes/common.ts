import type { LogoutError } from "../errors.js";
import type { EpochMs } from "../types.js";

/** `Retry-After` for errors that carry one (throttled, store-unavailable). */
export function retryAfterHeaders(error: LogoutError): Record<string, string> {
  const seconds = error.details.retryAfterSeconds;
  return seconds === undefined ? {} : { "Retry-After": String(seconds) };
}

/** RFC 3339 as protobuf JSON writes it: no fraction when the milliseconds are zero. */
export function rfc3339(ms: EpochMs): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}
