import { issueSession, type IssuedSession, type CompleteSessionStore } from "#bench/library";

/** Users the pipelines spread their sessions over: a realistic number of users, each with a few sessions. */
export const BENCH_USERS = 10_000;

export function benchUserId(i: number): string {
  return `user-${String(i % BENCH_USERS).padStart(5, "0")}`;
}

/**
 * Opens `n` sessions through `issueSession` (what a host's login does), `concurrency` at a time, so a store
 * with a network round trip fills in seconds. Untimed: runs before a phase starts.
 */
export async function openSessions(
  store: CompleteSessionStore,
  n: number,
  userOf: (i: number) => string = benchUserId,
  concurrency = 256,
): Promise<IssuedSession[]> {
  const out = new Array<IssuedSession>(n);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < n) {
      const i = next++;
      out[i] = await issueSession(store, { userId: userOf(i), authenticationSource: "login", ip: "127.0.0.1" });
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return out;
}
