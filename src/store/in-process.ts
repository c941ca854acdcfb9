/**
 * Methods that answer from this process's memory within the same turn: the built-in memory store's own. A
 * deadline could never fire before such an answer (its promise settles before any timer runs), so the checked
 * store calls them without arming one. A method replaced on an instance (a wrapper, a spy, a subclass's
 * override) is another function, not in the set: it is called under the deadline like any store's.
 */
const inProcessMethods = new WeakSet<object>();

/** Registers every method of `prototype` (getters and the constructor aside) as answering in-process. */
export function answersInProcess(prototype: object): void {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (name === "constructor") continue;
    const method: unknown = Object.getOwnPropertyDescriptor(prototype, name)?.value;
    if (typeof method === "function") inProcessMethods.add(method);
  }
}

/** Whether `method` is one registered by `answersInProcess`. */
export function isInProcess(method: unknown): boolean {
  return typeof method === "function" && inProcessMethods.has(method);
}
