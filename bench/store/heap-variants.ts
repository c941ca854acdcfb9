import type { HeapPoint } from "../lib/report.js";

/** The heap measurements of bench/store/memory-heap.ts, each run in its own fresh process. */
export interface HeapVariant {
  readonly title: string;
  /**
   * What is measured: login sessions (the default), or the TOTP attempt records of users who each sent one right
   * code (`attemptTotp`: the throttle's counts and the spent steps, one record per user, no session).
   */
  readonly records?: HeapPoint["records"];
  readonly perUser: number;
  /** Give every session its own ip and User-Agent strings, as a login from a browser does. */
  readonly clientDetails: boolean;
}

export const heapVariants: Readonly<Record<string, HeapVariant>> = {
  "login-4-per-user": { title: "login sessions, 4 per user", perUser: 4, clientDetails: false },
  "login-1-per-user": { title: "login sessions, 1 per user", perUser: 1, clientDetails: false },
  "login-ip-ua": { title: "login sessions with ip and a 110-character User-Agent, 4 per user", perUser: 4, clientDetails: true },
  "totp-users": { title: "TOTP attempt records, one right code per user (its step and the one before spent)", perUser: 1, clientDetails: false, records: "totp-users" },
};

/** The variant the heap target is checked on: the store's own cost per login session. */
export const TARGET_HEAP_VARIANT = "login-4-per-user";
