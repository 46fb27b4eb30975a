export { buildHarnessArgv } from "./argv.js";
export {
  BUNDLED_ADAPTER_IDS,
  type BundledAdapterId,
  bundledAdapters,
  isBundledAdapterId,
} from "./bundled.js";
export {
  ADAPTER_DIRS_ENV,
  ADAPTER_ID_PATTERN,
  ADAPTER_MANIFEST_ENV,
  EXECUTABLE_NAME_PATTERN,
  loadAdapterCatalog,
  MAX_MANIFEST_BYTES,
  PROMPT_FLAG_PATTERN,
  requireHarnessAdapter,
} from "./manifest.js";
export { resolveExecutable } from "./resolve.js";
export type { AdapterCatalog, AdapterProblem, AdapterSource, HarnessAdapter, LaunchMode } from "./types.js";
