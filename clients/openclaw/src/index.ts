import {
  getAcpRuntimeBackend,
  registerAcpRuntimeBackend,
  unregisterAcpRuntimeBackend,
} from "openclaw/plugin-sdk/acp-runtime";
import { definePluginEntry } from "openclaw/plugin-sdk/plugin-entry";
import { CONFIG_JSON_SCHEMA, CovenConfigError, resolveConfig } from "./config.js";
import { COVEN_BACKEND_ID, CovenAcpRuntime } from "./runtime.js";

export const PLUGIN_ID = "opencoven-coven";

export { resolveConfig } from "./config.js";
export { COVEN_BACKEND_ID, CovenAcpRuntime } from "./runtime.js";

export default definePluginEntry({
  id: PLUGIN_ID,
  name: "Coven",
  description: 'ACP runtime backend "coven": runs ACP agent turns as sessions of the local Coven daemon.',
  configSchema: {
    jsonSchema: CONFIG_JSON_SCHEMA as unknown as Record<string, unknown>,
    safeParse(value: unknown) {
      try {
        resolveConfig(value);
        return { success: true, data: value ?? {} };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { success: false, error: { issues: [{ path: [], message }] } };
      }
    },
  },
  register(api) {
    // Only a live (gateway or embedded-run) load registers the backend; discovery and metadata loads register
    // nothing and open nothing.
    if (api.registrationMode !== "full") return;
    let config: ReturnType<typeof resolveConfig>;
    try {
      config = resolveConfig(api.pluginConfig);
    } catch (error) {
      // Fail closed: a config we cannot use registers no backend (OpenClaw reports the load error).
      if (error instanceof CovenConfigError) api.logger.error(error.message);
      throw error;
    }
    const runtime = new CovenAcpRuntime(config, {
      resolveFallback: (id) => getAcpRuntimeBackend(id),
      logger: { info: (message) => api.logger.info(message), warn: (message) => api.logger.warn(message) },
    });
    registerAcpRuntimeBackend({ id: COVEN_BACKEND_ID, runtime, healthy: () => runtime.isHealthy() });
    api.lifecycle.registerRuntimeLifecycle({
      id: "coven-acp-backend",
      description: "Unregisters the coven ACP backend and closes its socket connections.",
      dispose: () => {
        if (getAcpRuntimeBackend(COVEN_BACKEND_ID)?.runtime === runtime)
          unregisterAcpRuntimeBackend(COVEN_BACKEND_ID);
        runtime.dispose();
      },
    });
  },
});
