/**
 * Why a factory, store or helper refused its options at setup. Stable: a host may test for them, and
 * `docs/errors.md` lists each with what to do.
 */
export type SetupErrorCode =
  /** The factory was mounted itself (`app.use(createLogoutHandler)`) instead of called with options. */
  | "factory-not-called"
  /** No options object where one is needed. */
  | "options-missing"
  /** An option the factory does not know; the message suggests the closest known one. */
  | "option-unknown"
  /** A required option is absent. */
  | "option-required"
  /** An option has a value the factory cannot use. */
  | "option-invalid"
  /** `store` lacks a method of the core `SessionStore`. */
  | "store-invalid"
  /** `store` lacks a capability the factory or a credential source needs (markers, JWT revocation, touch). */
  | "store-capability-missing"
  /** `users` lacks a method the factory or the shape calls. */
  | "directory-method-missing"
  /** The shape cannot answer what this factory serves (no session list, no logout URL, ...). */
  | "shape-unsupported";

/**
 * A misconfiguration found at setup, before the first request. A `TypeError` (as it always was) with a stable
 * `code`; the message says what to do.
 */
export class SetupError extends TypeError {
  /** Always `"SetupError"`. */
  override readonly name = "SetupError";
  /** The stable code of the mistake (`option-invalid`, `store-capability-missing`, ...). */
  readonly code: SetupErrorCode;

  constructor(code: SetupErrorCode, message: string) {
    super(message.startsWith("express-logout: ") ? message : `express-logout: ${message}`);
    this.code = code;
  }
}

/** Throws a `SetupError`. For the many one-line checks of the factories. */
export function setupFailure(code: SetupErrorCode, message: string): never {
  throw new SetupError(code, message);
}
