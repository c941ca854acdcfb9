import { createConnection, createServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy on a loopback port in front of a real server, that can freeze one connection at an exact
 * command: from the first client bytes that contain one of the patterns on, nothing more reaches the server until
 * `release()`. Redis behaves as if it froze right at that step (the command was sent, no answer came back),
 * while the steps before it ran for real.
 */
export interface FaultProxy {
  readonly port: number;
  readonly url: string;
  /** Holds back the first write that contains one of `patterns`, and everything after it, until `release()`. */
  holdAt(...patterns: string[]): void;
  /** Resolves once a write was held. */
  readonly held: () => Promise<void>;
  /** Sends what was held, in order, and lets traffic flow again. */
  release(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  let patterns: Buffer[] = [];
  let holding = false;
  const queue: { upstream: Socket; chunk: Buffer }[] = [];
  let onHeld: (() => void) | undefined;
  let heldOnce = new Promise<void>((resolve) => { onHeld = resolve; });

  const server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client);
    sockets.add(upstream);
    upstream.on("data", (chunk) => client.write(chunk));
    client.on("data", (chunk: Buffer) => {
      if (!holding && patterns.some((p) => chunk.includes(p))) {
        holding = true;
        patterns = [];
        onHeld?.();
      }
      if (holding) queue.push({ upstream, chunk });
      else upstream.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    holdAt(...texts) {
      patterns = texts.map((t) => Buffer.from(t));
      heldOnce = new Promise<void>((resolve) => { onHeld = resolve; });
    },
    held: () => heldOnce,
    release() {
      holding = false;
      for (const { upstream, chunk } of queue.splice(0)) upstream.write(chunk);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
