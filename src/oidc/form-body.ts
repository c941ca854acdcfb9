import type { Request } from "express";
import { readBoundedText, type BodyRefusals } from "../bounded-body.js";
import { InvalidLogoutTokenError, MAX_LOGOUT_TOKEN_LENGTH } from "./logout-token.js";

/** The largest back-channel request body read, in bytes: a logout token with room to spare. */
const MAX_BODY_BYTES = MAX_LOGOUT_TOKEN_LENGTH + 1024;

const bad = (description: string) => new InvalidLogoutTokenError("request", description);

/** A back-channel body refused while it was read, as an invalid logout request. */
const FORM_BODY_REFUSALS: BodyRefusals = {
  tooLarge: (limit) => bad(`the request body is larger than ${limit} bytes`),
  unreadable: () => bad("the request body could not be read"),
};

/**
 * The `logout_token` of a back-channel logout request: a POST with an `application/x-www-form-urlencoded` body
 * holding exactly one `logout_token`. Works whether or not the host mounted `express.urlencoded()` before it.
 */
export async function readLogoutToken(req: Request): Promise<string> {
  if (req.method !== "POST") throw bad("a back-channel logout is a POST");
  const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/x-www-form-urlencoded") throw bad("the body must be application/x-www-form-urlencoded");
  // A body parser mounted before this handler has read the stream already: its result is all there is.
  if ((req as { _body?: unknown })._body === true || req.readableEnded) {
    const parsed = req.body as unknown;
    if (typeof parsed !== "object" || parsed === null) throw bad("the body has no logout_token");
    const value = (parsed as Record<string, unknown>).logout_token;
    if (Array.isArray(value)) throw bad("the body holds more than one logout_token");
    if (typeof value !== "string" || value === "") throw bad("the body has no logout_token");
    return value;
  }
  const params = new URLSearchParams(await readBoundedText(req, MAX_BODY_BYTES, FORM_BODY_REFUSALS));
  const tokens = params.getAll("logout_token");
  if (tokens.length > 1) throw bad("the body holds more than one logout_token");
  const [token = ""] = tokens;
  if (token === "") throw bad("the body has no logout_token");
  return token;
}
