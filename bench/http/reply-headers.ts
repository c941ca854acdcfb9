import type { AddressInfo } from "node:net";
import { fill } from "../lib/load.js";
import type { RunningApp } from "./types.js";

/** Headers Node writes for every answer itself, or that describe one answer only: never replayed. */
const PER_ANSWER = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding"]);

/** A header of an answer, as `res.setHeader` takes it back (`set-cookie` may be several). */
export type ReplayedHeader = readonly [name: string, value: string | readonly string[]];

/**
 * The headers of one successful answer of a running app, read over loopback: what a ceiling replays so it sends
 * the same bytes as the library's route (`Cache-Control`, `Referrer-Policy`, a clearing `Set-Cookie`, the exact
 * `Content-Type`), not just the same body. The app is asked for one row of its feed, as a measured request is.
 */
export async function successHeaders(running: RunningApp): Promise<ReplayedHeader[]> {
  const server = running.app.listen(0, "127.0.0.1");
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    const { port } = server.address() as AddressInfo;
    const { rows } = await running.feed(1);
    const row = rows[0] ?? [];
    const { template } = running;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(template.headers)) headers[name] = fill(value, row);
    if (template.body !== undefined) headers["content-type"] ??= "application/json";
    const answer = await fetch(`http://127.0.0.1:${port}${fill(template.path, row)}`, {
      method: template.method,
      headers,
      ...(template.body === undefined ? {} : { body: fill(template.body, row) }),
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    await answer.arrayBuffer();
    if (answer.status !== running.success.status) throw new Error(`the probe answered ${answer.status}, expected ${running.success.status}`);
    const replayed: ReplayedHeader[] = [];
    for (const [name, value] of answer.headers) {
      if (PER_ANSWER.has(name) || name === "set-cookie") continue;
      replayed.push([name, value]);
    }
    const cookies = answer.headers.getSetCookie();
    if (cookies.length > 0) replayed.push(["set-cookie", cookies]);
    return replayed;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}
