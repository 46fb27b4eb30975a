import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CovenClient } from "../../../core/index.js";
import {
  PLUGIN_ROOT,
  type PluginHarnessKit,
  pluginHarnessKit,
  type RunningDaemon,
  startCovenDaemon,
  tempDir,
} from "../helpers/coven.js";

const run = promisify(execFile);
const OPENCLAW = path.join(PLUGIN_ROOT, "node_modules/.bin/openclaw");

/**
 * The plugin inside real OpenClaw 2026.9.6 on Node 24: packed with npm, installed with OpenClaw's own
 * `plugins install npm-pack:` into an isolated OPENCLAW_HOME, configured with `openclaw config set`, loaded by
 * OpenClaw's plugin loader, and driven through OpenClaw's ACP session manager to a Coven session and back.
 */
describe("inside OpenClaw", () => {
  let kit: PluginHarnessKit;
  let daemon: RunningDaemon;
  let env: NodeJS.ProcessEnv;

  const openclaw = async (...args: string[]) => {
    const { stdout, stderr } = await run(OPENCLAW, args, {
      env,
      cwd: PLUGIN_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 300_000,
    });
    return stdout + stderr;
  };

  beforeAll(async () => {
    expect(Number(process.versions.node.split(".")[0])).toBeGreaterThanOrEqual(24);
    expect(fs.existsSync(path.join(PLUGIN_ROOT, "dist/index.js")), "run npm run build first").toBe(true);
    kit = pluginHarnessKit();
    daemon = await startCovenDaemon(kit);
    const openclawHome = tempDir("openclaw-home-");
    // Vitest's own variables would put OpenClaw in its test mode (quiet, test fixtures): pass a plain environment.
    const plain = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(VITEST|NODE_ENV$|TEST$|OPENCLAW_)/.test(key)),
    );
    env = {
      ...plain,
      OPENCLAW_HOME: openclawHome,
      PATH: `${path.dirname(process.execPath)}:${process.env.PATH}`,
      NO_COLOR: "1",
    };
  }, 120_000);

  afterAll(async () => {
    await daemon?.stop();
  });

  it("installs through `openclaw plugins install` and runs ACP turns on the coven backend", async () => {
    const packDir = tempDir("openclaw-pack-");
    const { stdout: packed } = await run("npm", ["pack", "--pack-destination", packDir, "--json"], {
      cwd: PLUGIN_ROOT,
      env,
    });
    const tarball = path.join(packDir, JSON.parse(packed)[0].filename);

    const installed = await openclaw(
      "plugins",
      "install",
      `npm-pack:${tarball}`,
      "--force",
      "--accept-capabilities",
    );
    expect(installed).toContain("Installed plugin: opencoven-coven");
    const config = { covenHome: daemon.home, harnesses: { fake: "fake-echo", failing: "fake-fail" } };
    await openclaw(
      "config",
      "set",
      "plugins.entries.opencoven-coven.config",
      JSON.stringify(config),
      "--strict-json",
    );
    await openclaw("plugins", "enable", "opencoven-coven");

    const request = {
      cwd: kit.projectRoot,
      turns: [
        { agent: "fake", prompt: "quick" },
        { agent: "failing", prompt: "go" },
        { agent: "gemini", prompt: "never sent" },
      ],
    };
    const { stdout } = await run(
      process.execPath,
      [path.join(import.meta.dirname, "drive-acp-turn.mjs"), JSON.stringify(request)],
      {
        env,
        cwd: PLUGIN_ROOT,
        maxBuffer: 64 * 1024 * 1024,
        timeout: 300_000,
      },
    );
    const line = stdout.split("\n").find((l) => l.startsWith("E2E_RESULT "));
    expect(line, stdout.slice(-4000)).toBeDefined();
    const report = JSON.parse(line!.slice("E2E_RESULT ".length));

    // OpenClaw's loader loaded the installed copy and it registered the backend.
    expect(report).toMatchObject({
      backendRegistered: true,
      backendHealthy: true,
      runtimeClass: "CovenAcpRuntime",
    });
    expect(report.doctor).toMatchObject({ ok: true });

    // A full turn: text deltas in order, then OpenClaw's terminal `done`.
    const [ok, failing, unknown] = report.turns;
    expect(ok.error).toBeNull();
    expect(ok.handle).toMatchObject({ backend: "coven", cwd: kit.projectRoot });
    const text = ok.events
      .filter((e: { type: string }) => e.type === "text_delta")
      .map((e: { text: string }) => e.text)
      .join("");
    expect(text).toMatch(/^hello from fake-echo\nargv=\["--mode=batch","--","quick"\]\n/);
    expect(ok.events.at(-1)).toMatchObject({ type: "done" });
    expect(ok.status.backend).toBe("coven");

    // The failing harness: OpenClaw surfaces the turn failure with the exit code.
    expect(failing.error).toMatchObject({ code: "ACP_TURN_FAILED" });
    expect(failing.error.message).toContain("exit code 7");

    // An agent the plugin does not map is refused at session init, before anything reaches the daemon.
    expect(unknown.error).toMatchObject({ code: "ACP_SESSION_INIT_FAILED" });
    expect(unknown.error.message).toContain('does not run ACP agent "gemini"');

    // The daemon's ledger has exactly the two launched sessions, one completed and one failed with code 7.
    const client = new CovenClient({ home: daemon.home });
    const { sessions } = await client.listSessions({ limit: 100 });
    client.close();
    expect(sessions.map((s) => [s.harness, s.status, s.exit_code]).sort()).toEqual([
      ["fake-echo", "completed", 0],
      ["fake-fail", "failed", 7],
    ]);
    expect(sessions.every((s) => s.cwd === kit.projectRoot)).toBe(true);
  }, 600_000);
});
