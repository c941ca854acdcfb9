import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createConnection } from "node:net";

/** One raw request: every byte is ours, so headers Node's own client refuses (control bytes, duplicates) go out as written. */
export interface RawRequest {
  readonly method: string;
  /** The request target exactly as sent, e.g. `/v1/auth/login/logout?x=1`. */
  readonly target: string;
  /** Header lines in order; a value may be a Buffer to send bytes that are not latin1 text. Repeats are sent twice. */
  readonly headers?: readonly (readonly [name: string, value: string | Buffer])[];
  readonly body?: Buffer | string;
}

export interface RawResponse {
  readonly status: number;
  /** Header lines in order, names lower-cased. */
  readonly headers: readonly (readonly [name: string, value: string])[];
  readonly body: Buffer;
  /** The whole response as received, latin1-decoded: what a leak check searches. */
  readonly raw: string;
  header(name: string): string | undefined;
}

/** The bytes of a request: `Host` and `Connection: close` first, `Content-Length` when there is a body. */
export function encodeRequest(request: RawRequest): Buffer {
  const parts: Buffer[] = [Buffer.from(`${request.method} ${request.target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, "latin1")];
  for (const [name, value] of request.headers ?? []) {
    parts.push(Buffer.from(`${name}: `, "latin1"), typeof value === "string" ? Buffer.from(value, "latin1") : value, Buffer.from("\r\n", "latin1"));
  }
  const body = request.body === undefined ? undefined : typeof request.body === "string" ? Buffer.from(request.body, "utf8") : request.body;
  if (body !== undefined) parts.push(Buffer.from(`Content-Length: ${body.length}\r\n`, "latin1"));
  parts.push(Buffer.from("\r\n", "latin1"));
  if (body !== undefined) parts.push(body);
  return Buffer.concat(parts);
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", at, "latin1");
    if (eol === -1) break;
    const size = parseInt(body.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Parses a complete HTTP/1.1 response (one, read until the server closed the connection). */
export function parseResponse(bytes: Buffer, method = "GET"): RawResponse {
  const raw = bytes.toString("latin1");
  const end = bytes.indexOf("\r\n\r\n", 0, "latin1");
  if (end === -1) throw new Error(`incomplete response: ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine = "", ...lines] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
  const headers = lines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
  });
  const header = (name: string) => headers.find(([n]) => n === name.toLowerCase())?.[1];
  let body = bytes.subarray(end + 4);
  if (method === "HEAD") body = Buffer.alloc(0);
  else if (header("transfer-encoding")?.toLowerCase() === "chunked") body = dechunk(body);
  return { status, headers, body, raw, header };
}

/** Sends raw bytes to a listening server and reads the response until the server closes the connection. */
export function sendRaw(port: number, bytes: Buffer, method = "GET", timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms to ${JSON.stringify(bytes.toString("latin1").slice(0, 120))}`));
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks), method));
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.end(bytes);
  });
}

/** Sends one request built from parts. */
export function rawRequest(port: number, request: RawRequest, timeoutMs?: number): Promise<RawResponse> {
  return sendRaw(port, encodeRequest(request), request.method, timeoutMs);
}

/** Starts a server on an ephemeral loopback port. */
export async function listen(app: { listen: (port: number, host: string, cb: () => void) => Server }): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => {
      resolve(s);
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
