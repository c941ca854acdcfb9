import type { Feed, RequestTemplate, SuccessReply } from "./types.js";

/** Parent → server process. */
export type ToServer =
  | { readonly type: "feed"; readonly n: number }
  | { readonly type: "phase-start" }
  | { readonly type: "phase-end" }
  | { readonly type: "live" }
  | { readonly type: "stop" };

/** What the server process measured of itself during a phase. */
export interface ServerPhase {
  /** Event-loop utilization, 0..1: near 1 means the server was the bottleneck, as it should be. */
  readonly elu: number;
  /** CPU time (user + system) over wall time: 1.0 is one core busy. */
  readonly cpu: number;
  readonly heapUsedBytes: number;
  /** Redis commands the app sent during the phase (one command is one round trip), when it counts them. */
  readonly redisCommands: number | undefined;
  /** The CPU profile of the phase, when the run asked for profiles (`BENCH_PROFILE_DIR`). */
  readonly profile?: string | undefined;
}

/** Server process → parent. */
export type FromServer =
  | { readonly type: "ready"; readonly port: number; readonly template: RequestTemplate; readonly success: SuccessReply }
  | { readonly type: "feed"; readonly feed: Feed; readonly ms: number }
  | { readonly type: "phase"; readonly phase: ServerPhase }
  | { readonly type: "live"; readonly live: number | undefined }
  | { readonly type: "stopped" }
  | { readonly type: "failed"; readonly message: string };
