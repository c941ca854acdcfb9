export { authenticate, identify, loadUser, precheck, type ApiKeyCaller, type Caller } from "./authenticate.js";
export { refuse, sendReply, settle } from "./reply.js";
export { getAuthentication, rememberAuthentication } from "../../request-state.js";
