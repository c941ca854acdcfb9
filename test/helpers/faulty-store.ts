import type { CompleteSessionStore } from "../../src/index.js";

export type Fault = "none" | "fail" | "hang";

/**
 * A real store behind a switch: while `fault` is `"fail"` the chosen methods reject, while `"hang"` they never
 * answer; otherwise every call goes to the real store. The test reads the real store to check nothing changed.
 */
export function faultyStore(real: CompleteSessionStore, methods?: readonly (keyof CompleteSessionStore)[]): { store: CompleteSessionStore; set(fault: Fault): void } {
  let fault: Fault = "none";
  const store = new Proxy(real, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const affected = methods === undefined || methods.includes(name as keyof CompleteSessionStore);
        if (affected && fault === "fail") return Promise.reject(new Error("connection refused"));
        if (affected && fault === "hang") return new Promise(() => undefined);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store,
    set(next) {
      fault = next;
    },
  };
}
