import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import { COVEN_BIN, startDaemon, type TestDaemon, tempDir, waitFor } from "../helpers/daemon.js";
import { type FakeHarnessKit, fakeHarnessKit } from "../helpers/harness.js";

/**
 * `coven attach` in a real terminal: tmux on a dedicated server socket gives the CLI a pseudo-terminal we can
 * type into (`send-keys`), read (`capture-pane`) and resize (`resize-window`).
 */
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

interface SessionRecord {
  id: string;
  status: string;
}

let daemon: TestDaemon;
let api: RestClient;
let kit: FakeHarnessKit;
const tmuxSocketBase = `coven-attach-${process.pid}-${Date.now()}`;
let paneCount = 0;
/**
 * Each pane gets its own tmux server: `kill-server` returns before the old server has gone, and a
 * `new-session` on the same socket can reach it mid-exit ("server exited unexpectedly").
 */
let tmuxSocket = tmuxSocketBase;

function tmux(...args: string[]): string {
  const result = spawnSync("tmux", ["-L", tmuxSocket, ...args], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`tmux ${args.join(" ")}: ${result.stderr}`);
  return result.stdout;
}

/**
 * Opens a 120×40 tmux session running `coven attach <id>`, then (once it returns) its exit code and `stty -a`,
 * so the test can see the terminal modes the CLI left behind.
 */
function openPane(attachArgs: string[]): string {
  paneCount += 1;
  const name = `pane${paneCount}`;
  tmuxSocket = `${tmuxSocketBase}-${paneCount}`;
  const script = path.join(tempDir("coven-attach-script-"), "attach.sh");
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  fs.writeFileSync(
    script,
    [
      `export PATH=${quote(kit.env.PATH!)}`,
      `export COVEN_HARNESS_ADAPTER_MANIFEST=${quote(kit.manifest)}`,
      `export COVEN_HOME=${quote(daemon.home)}`,
      "export NO_COLOR=1",
      `cd ${quote(kit.projectRoot)}`,
      `${quote(process.execPath)} ${quote(COVEN_BIN)} ${attachArgs.map(quote).join(" ")}`,
      'echo "ATTACH-EXIT=$?"',
      "stty -a",
      "exec sleep 600",
    ].join("\n"),
  );
  tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40", `sh ${quote(script)}`);
  return name;
}

function screen(pane: string): string {
  // -J joins wrapped lines; -S - includes the scrollback.
  return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", pane);
}

async function waitForScreen(
  pane: string,
  pattern: string | RegExp,
  what = String(pattern),
): Promise<string> {
  let text = "";
  await waitFor(() => {
    text = screen(pane);
    return typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
  }, `${what} on the screen`).catch((error: Error) => {
    throw new Error(`${error.message}\n--- screen ---\n${text}`);
  });
  return text;
}

/** The terminal modes after the CLI returned: canonical input and echo back on. */
function expectTerminalRestored(text: string): void {
  const modes = text.slice(text.indexOf("ATTACH-EXIT="));
  expect(modes).toMatch(/(^|\s)icanon(\s|$)/m);
  expect(modes).toMatch(/(^|\s)echo(\s|$)/m);
  expect(modes).not.toMatch(/(^|\s)-icanon(\s|$)/m);
  expect(modes).not.toMatch(/(^|\s)-echo(\s|$)/m);
}

async function launch(harness: string, prompt = ""): Promise<SessionRecord> {
  const response = await api.post<SessionRecord>("/api/v1/sessions", {
    projectRoot: kit.projectRoot,
    harness,
    prompt,
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function statusOf(id: string): Promise<string> {
  return (await api.get<SessionRecord>(`/api/v1/sessions/${id}`)).body.status;
}

describe.skipIf(!hasTmux)("coven attach in a real terminal", () => {
  beforeAll(async () => {
    kit = fakeHarnessKit();
    daemon = await startDaemon({ env: kit.env });
    api = new RestClient(daemon.socket);
  });

  afterEach(() => {
    spawnSync("tmux", ["-L", tmuxSocket, "kill-server"]);
  });

  afterAll(async () => {
    await api.close();
    await daemon.stop();
  });

  it("replays, forwards keystrokes, follows resizes, detaches with Ctrl-] and restores the terminal", async () => {
    const session = await launch("fake-echo");
    await waitFor(async () => {
      const events = await api.get<{ events: { kind: string }[] }>(`/api/v1/sessions/${session.id}/events`);
      return events.body.events.some((event) => event.kind === "output");
    }, "the harness's first output");

    const pane = openPane(["attach", session.id.slice(0, 8)]);
    // Replayed output from before the attach, then the size the CLI sent on attaching.
    await waitForScreen(pane, "hello from fake-echo");
    await waitForScreen(pane, "size=120x40");

    tmux("send-keys", "-t", pane, "ping from tmux", "Enter");
    await waitForScreen(pane, "echo:PING FROM TMUX");

    tmux("resize-window", "-t", pane, "-x", "100", "-y", "30");
    await waitForScreen(pane, "size=100x30");

    tmux("send-keys", "-t", pane, "C-]");
    const text = await waitForScreen(pane, /ATTACH-EXIT=0[\s\S]*icanon/, "the exit code and stty -a");
    expect(text).toContain("detached");
    expectTerminalRestored(text);
    expect(await statusOf(session.id)).toBe("running");

    // What was typed reached the harness as input events, in order.
    const events = await api.get<{ events: { kind: string; payload_json: string }[] }>(
      `/api/v1/sessions/${session.id}/events`,
    );
    const typed = events.body.events
      .filter((event) => event.kind === "input")
      .map((event) => JSON.parse(event.payload_json).data as string)
      .join("");
    expect(typed).toBe("ping from tmux\r");
    await api.post(`/api/v1/sessions/${session.id}/kill`);
  });

  it("ends with the harness: its exit code becomes ours and the terminal is restored", async () => {
    const session = await launch("fake-echo");
    const pane = openPane(["attach", session.id]);
    await waitForScreen(pane, "hello from fake-echo");
    tmux("send-keys", "-t", pane, "exit 3", "Enter");
    const text = await waitForScreen(pane, /ATTACH-EXIT=3[\s\S]*icanon/, "exit code 3");
    expect(text).toContain("bye");
    expectTerminalRestored(text);
    expect(await statusOf(session.id)).toBe("failed");
  });

  it("replays a finished session and exits with its code", async () => {
    const session = await launch("fake-fail");
    await waitFor(async () => (await statusOf(session.id)) === "failed", "the session to fail");
    const pane = openPane(["attach", session.id]);
    const text = await waitForScreen(pane, /ATTACH-EXIT=7[\s\S]*icanon/, "exit code 7");
    expect(text).toContain("about to fail");
    expectTerminalRestored(text);
  });

  it("coven run attaches at once; a signal restores the terminal and leaves the session running", async () => {
    const pane = openPane(["run", "fake-echo", "launched from tmux"]);
    await waitForScreen(pane, 'argv=["--mode=interactive","--","launched from tmux"]');
    // The harness started at the pane's size (120×40), not the daemon's default 120×32.
    await waitForScreen(pane, "start size=120x40");
    const shell = Number(tmux("display-message", "-p", "-t", pane, "#{pane_pid}").trim());
    // The pane runs `sh`, whose only child is the CLI: signal the CLI alone.
    const children = spawnSync("pgrep", ["-P", String(shell)], { encoding: "utf8" })
      .stdout.trim()
      .split("\n");
    const cli = Number(children[0]);
    expect(cli).toBeGreaterThan(0);
    process.kill(cli, "SIGTERM");
    const text = await waitForScreen(pane, /ATTACH-EXIT=143[\s\S]*icanon/, "exit code 143");
    expectTerminalRestored(text);
    const listed = await api.get<{ sessions: { id: string; status: string; title: string }[] }>(
      "/api/v1/sessions?limit=10",
    );
    const launched = listed.body.sessions.find((session) => session.title === "launched from tmux");
    expect(launched?.status).toBe("running");
    await api.post(`/api/v1/sessions/${launched!.id}/kill`);
  });
});
