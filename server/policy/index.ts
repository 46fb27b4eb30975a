export { assertSessionId, isValidSessionId, newSessionId, SESSION_ID_PATTERN } from "./ids.js";
export {
  type CwdRefusal,
  canonicalProjectRoot,
  isPathInside,
  type ProjectRootRefusal,
  resolveCwdInsideRoot,
} from "./paths.js";
