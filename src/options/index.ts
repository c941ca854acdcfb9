export { SetupError, setupFailure, type SetupErrorCode } from "./setup-error.js";
export { checkKnownOptions, closest, looksLikeRequest, optionNames, type OptionNames } from "./known-options.js";
export {
  booleanOption,
  cookieNameOption,
  describe,
  functionOption,
  headerNameOption,
  integerOption,
  isHttpToken,
  listOr,
  oneOfOption,
  positiveOption,
} from "./validators.js";
