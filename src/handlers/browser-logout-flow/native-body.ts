import type { Request } from "express";
import { singleHeader } from "../../request-input.js";
import { LogoutError } from "../../errors.js";

/** The largest native-logout body read, in bytes. A session token is well under 100. */
export const MAX_NATIVE_BODY_BYTES = 16 * 1024;

/** The query string of the request as sent, independent of the app's `query parser` setting. */
export function queryOf(req: Request): URLSearchParams {
  const url = req.originalUrl || req.url;
  const at = url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
}

/** Reads a small request body as text, refusing more than `limit` bytes. */
function readBody(req: Request, limit: number): Promise<string> {
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
      if (size > limit) {
        cleanup();
        req.resume();
        reject(new LogoutError("bad-request", "body too large", { reason: `Unable to read HTTP request body: it is larger than ${limit} bytes.` }));
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
      reject(new LogoutError("bad-request", "body unreadable", { reason: "Unable to read HTTP request body." }));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/** The JSON body of a native logout, read here or taken from a body parser mounted before the handler. */
export async function nativeBody(req: Request): Promise<unknown> {
  const bad = (reason: string) => new LogoutError("bad-request", reason, { reason });
  const length = req.headers["content-length"];
  if (req.headers["transfer-encoding"] === undefined && (length === undefined || length === "0")) {
    throw bad('Unable to decode HTTP Request Body because its HTTP Header "Content-Length" is zero.');
  }
  const contentType = singleHeader(req, "content-type") ?? "";
  if ((contentType.split(";")[0] ?? "").trim().toLowerCase() !== "application/json") {
    throw bad(`HTTP ${req.method} Request used unknown HTTP Header "Content-Type: ${contentType}", only [application/json] are supported.`);
  }
  // A body parser mounted before this handler may have read the body already (body-parser 1 flags it with
  // `_body`; body-parser 2 leaves the stream ended): then its result is all there is.
  let text: string;
  if ((req as { _body?: unknown })._body === true || req.readableEnded) {
    const parsed = req.body as unknown;
    if (typeof parsed !== "string" && !Buffer.isBuffer(parsed)) return parsed;
    text = parsed.toString();
  } else {
    text = await readBody(req, MAX_NATIVE_BODY_BYTES);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bad("Unable to decode JSON payload: the body is not valid JSON.");
  }
}
