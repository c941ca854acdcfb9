import type { RedisSendCommand } from "../store/redis.js";

/**
 * Wraps a `RedisSendCommand` so that every nil in a reply, at the top or inside an array, comes back as
 * `undefined` instead of `null`, as some client wrappers spell it. `RedisSessionStore` must behave the same
 * either way: run the conformance kit over a store built with it, so a reply read as "anything but `null` is
 * a success" (a claim that always wins, a replayable TOTP code) fails the suite.
 *
 * ```ts
 * describeSessionStoreConformance("RedisSessionStore (nil as undefined)", {
 *   createStore: () => new RedisSessionStore({ sendCommand: nilAsUndefined((args) => client.sendCommand(args)) }),
 * });
 * ```
 */
export function nilAsUndefined(send: RedisSendCommand): RedisSendCommand {
  return async (args, route) => withoutNull(await send(args, route));
}

function withoutNull(reply: unknown): unknown {
  if (reply === null) return undefined;
  return Array.isArray(reply) ? reply.map(withoutNull) : reply;
}
