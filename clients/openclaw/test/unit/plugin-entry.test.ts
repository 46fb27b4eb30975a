import * as acpRuntime from "openclaw/plugin-sdk/acp-runtime";
import { afterEach, describe, expect, it } from "vitest";
import entry, { COVEN_BACKEND_ID, CovenAcpRuntime, PLUGIN_ID } from "../../src/index.js";

/** Just enough of OpenClawPluginApi for `register` (the real loader is exercised by the end-to-end test). */
function fakeApi(registrationMode: string, pluginConfig: unknown) {
  const lifecycles: Array<{ id: string; dispose?: () => void | Promise<void> }> = [];
  const logs: string[] = [];
  const api = {
    id: PLUGIN_ID,
    registrationMode,
    pluginConfig,
    logger: {
      info: (m: string) => logs.push(`info ${m}`),
      warn: (m: string) => logs.push(`warn ${m}`),
      error: (m: string) => logs.push(`error ${m}`),
      debug: () => {},
    },
    lifecycle: { registerRuntimeLifecycle: (l: (typeof lifecycles)[number]) => lifecycles.push(l) },
  };
  return { api, lifecycles, logs };
}

afterEach(() => {
  acpRuntime.unregisterAcpRuntimeBackend(COVEN_BACKEND_ID);
});

describe("the SDK surface this plugin is written against (openclaw 2026.9.6)", () => {
  it("exports the runtime functions the typed facade declares", () => {
    const exported: Record<string, unknown> = { ...acpRuntime };
    for (const name of [
      "registerAcpRuntimeBackend",
      "unregisterAcpRuntimeBackend",
      "getAcpRuntimeBackend",
      "requireAcpRuntimeBackend",
      "isAcpRuntimeError",
      "getAcpSessionManager",
    ]) {
      expect(typeof exported[name], name).toBe("function");
    }
    const error = new acpRuntime.AcpRuntimeError("ACP_TURN_FAILED", "x", { detailCode: "invalid_request" });
    expect(error).toMatchObject({
      code: "ACP_TURN_FAILED",
      detailCode: "invalid_request",
      name: "AcpRuntimeError",
    });
  });
});

describe("plugin entry", () => {
  it("is the opencoven-coven plugin with a config schema", () => {
    expect(entry.id).toBe("opencoven-coven");
    const schema = entry.configSchema as { safeParse: (value: unknown) => { success: boolean } };
    expect(schema.safeParse({ covenHome: "/srv/coven" }).success).toBe(true);
    expect(schema.safeParse({ socketPath: "/tmp/elsewhere.sock" }).success).toBe(false);
    expect(schema.safeParse({ bogus: 1 }).success).toBe(false);
  });

  it("registers the coven ACP backend on a full load, and unregisters it on dispose", async () => {
    const { api, lifecycles } = fakeApi("full", { covenHome: "/nonexistent/coven" });
    entry.register(api as never);
    const backend = acpRuntime.getAcpRuntimeBackend("coven");
    expect(backend?.runtime).toBeInstanceOf(CovenAcpRuntime);
    // No daemon there and no fallback: not healthy, so OpenClaw will not pick it.
    expect(backend?.healthy?.()).toBe(false);
    expect(() => acpRuntime.requireAcpRuntimeBackend("coven")).toThrow(/unavailable/);
    expect(lifecycles).toHaveLength(1);
    await lifecycles[0]?.dispose?.();
    expect(acpRuntime.getAcpRuntimeBackend("coven")).toBeNull();
  });

  it.each(["discovery", "tool-discovery", "setup-only", "setup-runtime", "cli-metadata"])(
    "registers nothing on a %s load",
    (mode) => {
      const { api } = fakeApi(mode, {});
      entry.register(api as never);
      expect(acpRuntime.getAcpRuntimeBackend("coven")).toBeNull();
    },
  );

  it("fails closed on a config it cannot use", () => {
    const { api, logs } = fakeApi("full", { socketPath: "/tmp/other.sock" });
    expect(() => entry.register(api as never)).toThrow(/socketPath must be exactly/);
    expect(acpRuntime.getAcpRuntimeBackend("coven")).toBeNull();
    expect(logs.some((line) => line.startsWith("error"))).toBe(true);
  });
});
