import type { Request } from "express";
import { singleHeader } from "../../request-input.js";
import { LogoutError } from "../../errors.js";
import { readBoundedText, type BodyRefusals } from "../../bounded-body.js";

/** The largest native-logout body read, in bytes. A session token is well under 100. */
export const MAX_NATIVE_BODY_BYTES = 16 * 1024;

/** The query string of the request as sent, independent of the app's `query parser` setting. */
export function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl || req.url;
  const at = url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
}

/** A native-logout body refused while it was read, in the shape's words. */
const NATIVE_BODY_REFUSALS: BodyRefusals = {
  tooLarge: (limit) => new LogoutError("bad-request", `the body is larger than ${limit} bytes`, { problem: "body-too-large", limit }),
  unreadable: () => new LogoutError("bad-request", "the body could not be read", { problem: "body-unreadable" }),
};

/** The JSON body of a native logout, read here or taken from a body parser mounted before the handler. */
export async function nativeBody(req: Request): Promise<unknown> {
  const length = req.headers["content-length"];
  if (req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0")) {
    throw new LogoutError("bad-request", "the body is empty", { problem: "body-empty" });
  }
  const contentType = singleHeader(req, "content-type") ?? "";
  if ((contentType.split(";")[0] ?? "").trim().toLowerCase() !== "application/json") {
    throw new LogoutError("bad-request", "the body is not application/json", { problem: "unsupported-content-type", contentType, method: req.method });
  }
  // A body parser mounted before this handler may have read the body already (body-parser 1 flags it with
  // `_body`; body-parser 2 leaves the stream ended): then its result is all there is.
  let text: string;
  if ((req as { _body?: unknown })._body === true || req.readableEnded) {
    const parsed = req.body as unknown;
    if (typeof parsed !== "string" && !Buffer.isBuffer(parsed)) return parsed;
    text = parsed.toString();
  } else {
    text = await readBoundedText(req, MAX_NATIVE_BODY_BYTES, NATIVE_BODY_REFUSALS);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new LogoutError("bad-request", "the body is not valid JSON", { problem: "body-not-json" });
  }
}
