import type { Reply } from "../types.js";

/**
 * The wire answers of a back-channel logout endpoint (OpenID Connect Back-Channel Logout 1.0 §2.8): every one
 * with `Cache-Control: no-store` (set by the handler for every reply of the library).
 */
export const backchannelReplies = {
  /** The logout succeeded, including "those sessions had already ended": 200 with an empty body. */
  ended(): Reply {
    return { status: 200 };
  },
  /** The logout token is invalid: 400 with the OAuth-style error body the specification describes. */
  invalid(description: string): Reply {
    return { status: 400, body: { error: "invalid_request", error_description: description } };
  },
  /** The store or the provider's keys could not answer: a 503 the provider may retry, never a success. */
  unavailable(retryAfterSeconds: number): Reply {
    return {
      status: 503,
      headers: { "Retry-After": String(retryAfterSeconds) },
      body: { error: "temporarily_unavailable", error_description: "the logout could not be carried out now; retry later" },
    };
  },
};
