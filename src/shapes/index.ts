import { endorShape } from "./endor.js";
import { kratosShape } from "./kratos.js";
import { kratosAdminShape } from "./kratos-admin.js";
import { problemShape } from "./problem.js";
import { rocketChatShape } from "./rocket-chat.js";
import { soajsShape } from "./soajs.js";

/** The wire shapes the library ships, one file each. */
export const shapes = {
  /** RFC 9457 problem+json; the default. */
  problem: problemShape,
  /** Endor Labs, `GET /v1/auth/:authentication_source/logout`. */
  endor: endorShape,
  /** SOAJS urac 0.x, `GET /urac/logout`. */
  soajs: soajsShape,
  /** Rocket.Chat, `POST /api/v1/sessions/logout` and its companions (`logout.me`, `list`, `info`, `/api/v1/logout`). */
  rocketChat: rocketChatShape,
  /**
   * Ory Kratos: the browser logout flow, native logout, session management and who-am-I; and its admin plane
   * (`/admin/sessions`, `/admin/identities/{id}/sessions`) for the admin factories.
   */
  kratos: {
    ...kratosShape,
    /** Kratos' admin plane, `kratosAdminShape()` with its defaults. */
    admin: kratosAdminShape(),
  },
} as const;
