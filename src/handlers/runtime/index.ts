export { authenticate, identify, loadUser, precheck, withUser, type ApiKeyCaller, type Caller } from "./authenticate.js";
export { refuse, renderEnded, sendReply, settle } from "./reply.js";
export { getAuthentication, permissionGrantedTo, rememberAuthentication, rememberPermissionGranted } from "../../request-state.js";
