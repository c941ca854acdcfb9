import type { Request } from "express";
import { InvalidLogoutTokenError, MAX_LOGOUT_TOKEN_LENGTH } from "./logout-token.js";

/** The largest back-channel request body read, in bytes: a logout token with room to spare. */
const MAX_BODY_BYTES = MAX_LOGOUT_TOKEN_LENGTH + 1024;

const bad = (description: string) => new InvalidLogoutTokenError("request", description);

function readText(req: Request): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        cleanup();
        req.resume();
        reject(bad(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onError = () => {
      cleanup();
      reject(bad("the request body could not be read"));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

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
  const params = new URLSearchParams(await readText(req));
  const tokens = params.getAll("logout_token");
  if (tokens.length > 1) throw bad("the body holds more than one logout_token");
  const [token = ""] = tokens;
  if (token === "") throw bad("the body has no logout_token");
  return token;
}
