import { SessionEndListeners, type SessionEndListener, type SessionEndNotice } from "./revocation-feed.js";

/**
 * The subscriber side of `RedisSessionStore`'s revocation feed, through a dedicated connection of the client you
 * already use (a connection in subscriber mode can send nothing else). With `redis` v5:
 *
 * ```ts
 * const subscriberClient = client.duplicate();
 * subscriberClient.on("error", () => {}); // reconnects on its own
 * await subscriberClient.connect();
 * const subscriber = {
 *   subscribe: (channel, onMessage) => subscriberClient.sSubscribe(channel, onMessage),
 *   unsubscribe: (channel) => subscriberClient.sUnsubscribe(channel),
 *   onReconnect: (callback) => { subscriberClient.on("ready", callback); },
 * };
 * ```
 *
 * Use `subscribe`/`unsubscribe` (not the sharded forms) when the store's `revocationFeed` is `"classic"`.
 */
export interface RedisSubscriber {
  /** Subscribes to one channel (SSUBSCRIBE for the sharded feed); resolves once the server confirmed it. */
  subscribe(channel: string, onMessage: (message: string | Buffer) => void): Promise<unknown>;
  /** Unsubscribes from one channel. */
  unsubscribe(channel: string): Promise<unknown>;
  /**
   * Registers `callback` to run each time the connection is ready again after it was lost, with its
   * subscriptions restored (`redis` v5 emits `"ready"` only after it resubscribed; so does `ioredis`).
   * Messages published while it was down are lost, so the store then tells every subscriber it was interrupted.
   */
  onReconnect(callback: () => void): void;
}

/** How a `RedisSubscriber` is checked at construction, so a wrong one fails at boot. */
export function assertRedisSubscriber(value: unknown): asserts value is RedisSubscriber {
  const s = value as Partial<Record<keyof RedisSubscriber, unknown>> | null;
  if (typeof s !== "object" || s === null || typeof s.subscribe !== "function" || typeof s.unsubscribe !== "function" || typeof s.onReconnect !== "function") {
    throw new TypeError(
      "express-logout: RedisSessionStore `subscriber` must have `subscribe(channel, onMessage)`, `unsubscribe(channel)` and `onReconnect(callback)`, " +
        "on a dedicated connection (`client.duplicate()`); see docs/live-connections.md.",
    );
  }
}

/**
 * One channel per user (under the user's hash tag, so a Cluster keeps it on the user's shard), subscribed while
 * this instance has at least one listener for that user: an instance hears only the ends of the users it holds
 * connections for, and no channel carries every user's traffic.
 */
export class RedisRevocationFeed {
  readonly #subscriber: RedisSubscriber;
  readonly #channelOf: (userId: string) => string;
  readonly #listeners = new SessionEndListeners();
  /** user id → the subscription of its channel, settled once the server confirmed it. */
  readonly #subscriptions = new Map<string, Promise<unknown>>();

  constructor(subscriber: RedisSubscriber, channelOf: (userId: string) => string) {
    this.#subscriber = subscriber;
    this.#channelOf = channelOf;
    subscriber.onReconnect(() => {
      this.#listeners.interrupt();
    });
  }

  /** How many users' channels this instance is subscribed to. */
  get channels(): number {
    return this.#subscriptions.size;
  }

  async subscribe(userId: string, listener: SessionEndListener): Promise<() => void> {
    if (this.#listeners.add(userId, listener)) {
      const channel = this.#channelOf(userId);
      const pending = Promise.resolve().then(() => this.#subscriber.subscribe(channel, (message) => { this.#receive(userId, message); }));
      pending.catch(() => undefined);
      this.#subscriptions.set(userId, pending);
    }
    try {
      await this.#subscriptions.get(userId);
    } catch (cause) {
      this.#drop(userId, listener);
      throw new Error("express-logout: RedisSessionStore could not subscribe to the revocation feed", { cause });
    }
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.#drop(userId, listener);
    };
  }

  #drop(userId: string, listener: SessionEndListener): void {
    if (!this.#listeners.remove(userId, listener)) return;
    this.#subscriptions.delete(userId);
    // Nothing waits for it: a failed unsubscribe only leaves a channel nobody here listens to.
    Promise.resolve().then(() => this.#subscriber.unsubscribe(this.#channelOf(userId))).catch(() => undefined);
  }

  #receive(userId: string, message: string | Buffer): void {
    const notice = parseNotice(typeof message === "string" ? message : message.toString("utf8"));
    // A channel carries one user's ends; anything else on it is not trusted to close another user's connections.
    if (notice?.userId !== userId) return;
    this.#listeners.deliver(notice);
  }
}

function parseNotice(text: string): SessionEndNotice | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { sessionId, userId, at } = value as Record<string, unknown>;
  if (typeof sessionId !== "string" || sessionId === "" || typeof userId !== "string" || userId === "") return undefined;
  return { sessionId, userId, reason: "revoked", at: typeof at === "number" && Number.isFinite(at) ? at : Date.now() };
}
