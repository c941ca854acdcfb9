import type { IncomingMessage } from "node:http";

/** What a refused body becomes: each caller answers in its own protocol's words. */
export interface BodyRefusals {
  readonly tooLarge: (limit: number) => Error;
  readonly unreadable: () => Error;
}

/**
 * Reads a small request body as UTF-8 text, for the few routes that take one whether or not the host mounted a
 * body parser. More than `limit` bytes is refused at once and the rest drained, so a large body costs no memory.
 */
export function readBoundedText(req: IncomingMessage, limit: number, refusals: BodyRefusals): Promise<string> {
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
        reject(refusals.tooLarge(limit));
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
      reject(refusals.unreadable());
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}
