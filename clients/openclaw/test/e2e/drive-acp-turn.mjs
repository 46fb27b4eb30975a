// Runs inside real OpenClaw (Node 24, OPENCLAW_HOME pointing at an isolated state directory where the plugin
// was installed with `openclaw plugins install`): loads the configured plugins through OpenClaw's own plugin
// registry loader, then drives ACP turns through OpenClaw's ACP session manager (`getAcpSessionManager`, the
// control plane behind /acp spawn and sessions_spawn) against the `coven` backend.
//
// Usage: node drive-acp-turn.mjs '<json: { cwd, turns: [{ agent, prompt }] }>'
// Prints one line `E2E_RESULT <json>` with what each turn streamed and how it ended.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const { cwd, turns } = JSON.parse(process.argv[2] ?? "{}");
const sdkFile = fileURLToPath(import.meta.resolve("openclaw/plugin-sdk/acp-runtime"));
const dist = path.resolve(path.dirname(sdkFile), "..");

// The loader the CLI and gateway use (src/cli/plugin-registry.ts). It is not an SDK export, so it is found by
// its export in the content-hashed dist chunk of the installed openclaw.
const loaderChunk = fs
  .readdirSync(dist)
  .filter((name) => /^plugin-registry-.*\.mjs$/.test(name))
  .find((name) =>
    fs.readFileSync(path.join(dist, name), "utf8").includes("export { ensurePluginRegistryLoaded }"),
  );
if (!loaderChunk) throw new Error(`no plugin registry loader in ${dist}`);
const { ensurePluginRegistryLoaded } = await import(pathToFileURL(path.join(dist, loaderChunk)).href);
const { loadConfig } = await import("openclaw/plugin-sdk/config-runtime");
const acp = await import("openclaw/plugin-sdk/acp-runtime");

const cfg = loadConfig();
const started = performance.now();
ensurePluginRegistryLoaded({ config: cfg });
const loadMs = Math.round(performance.now() - started);
const backend = acp.getAcpRuntimeBackend("coven");
const report = {
  loadMs,
  backendRegistered: backend?.id === "coven",
  backendHealthy: backend?.healthy?.() ?? null,
  runtimeClass: backend?.runtime?.constructor?.name ?? null,
  doctor: backend?.runtime?.doctor ? await backend.runtime.doctor() : null,
  turns: [],
};
const manager = acp.getAcpSessionManager();
for (const turn of turns) {
  const sessionKey = `agent:main:acp:coven-e2e-${randomUUID()}`;
  const outcome = { agent: turn.agent, events: [], error: null, status: null, handle: null };
  try {
    const init = await manager.initializeSession({
      cfg,
      sessionKey,
      agent: turn.agent,
      mode: "oneshot",
      cwd,
      backendId: "coven",
    });
    outcome.handle = init.handle;
    const requestId = randomUUID();
    await manager.runTurn({
      cfg,
      sessionKey,
      text: turn.prompt,
      mode: "prompt",
      requestId,
      admittedRunContext: { operationalRunInstance: { runId: requestId, instanceId: randomUUID() } },
      onEvent: (event) => {
        outcome.events.push({ ...event, at: performance.timeOrigin + performance.now() });
      },
    });
  } catch (error) {
    outcome.error = {
      name: error?.name,
      code: error?.code,
      detailCode: error?.detailCode,
      message: String(error?.message ?? error),
    };
  }
  try {
    const status = await manager.getSessionStatus({ cfg, sessionKey });
    outcome.status = {
      backend: status.backend,
      state: status.state,
      runtimeStatus: status.runtimeStatus ?? null,
    };
  } catch (error) {
    outcome.status = { error: String(error?.message ?? error) };
  }
  report.turns.push(outcome);
}
process.stdout.write(`E2E_RESULT ${JSON.stringify(report)}\n`);
// OpenClaw leaves maintenance workers and timers behind; the report is out, so end here.
process.exit(0);
