import type { LogoutError } from "../errors.js";
import type { EpochMs } from "../types.js";

/** `Retry-After` for errors that carry one (throttled, store-unavailable). */
export function retryAfterHeaders(error: LogoutError): Record<string, string> {
  const seconds = error.details.retryAfterSeconds;
  return seconds === undefined ? {} : { "Retry-After": String(seconds) };
}

const DAY_MS = 86_400_000;
/** The first instant `toISOString` writes with a five-digit year (+010000-01-01). */
const YEAR_10000_MS = 253_402_300_800_000;
/** Days formatted lately, as `2026-12-01T`: an answer writes the same few days (now, a user's creation) again and again. */
const dayPrefixes = new Map<number, string>();
const DAYS_KEPT = 64;

function twoDigits(n: number): string {
  return n < 10 ? `0${String(n)}` : String(n);
}

function isoWithoutZeroFraction(ms: EpochMs): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

/**
 * RFC 3339 as protobuf JSON writes it: no fraction when the milliseconds are zero. Endor's answers carry five
 * of these, and `Date#toISOString` costs about half a microsecond each: the day is formatted once and kept,
 * the time of day is arithmetic.
 */
export function rfc3339(ms: EpochMs): string {
  // Before 1970, from the year 10000, or not a whole millisecond: the Date formatter handles (or refuses) it.
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000_MS) return isoWithoutZeroFraction(ms);
  const day = Math.floor(ms / DAY_MS);
  let prefix = dayPrefixes.get(day);
  if (prefix === undefined) {
    if (dayPrefixes.size >= DAYS_KEPT) dayPrefixes.clear();
    prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    dayPrefixes.set(day, prefix);
  }
  const inDay = ms - day * DAY_MS;
  const milliseconds = inDay % 1000;
  const seconds = Math.floor(inDay / 1000);
  const time = `${twoDigits(Math.floor(seconds / 3600))}:${twoDigits(Math.floor(seconds / 60) % 60)}:${twoDigits(seconds % 60)}`;
  return milliseconds === 0 ? `${prefix}${time}Z` : `${prefix}${time}.${String(milliseconds).padStart(3, "0")}Z`;
}
