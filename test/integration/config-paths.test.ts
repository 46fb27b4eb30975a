import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/daemon.js";
import { runCovenCommand as runCoven } from "../helpers/lifecycle-cli.js";

/** Our environment without the settings under test, so the defaults show. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of ["COVEN_HOME", "COVEN_HARNESS_ADAPTER_MANIFEST", "COVEN_HARNESS_ADAPTER_DIRS"])
    delete env[name];
  return env;
}

describe("coven config paths", () => {
  it("prints every resolved path as JSON and creates nothing", async () => {
    const root = tempDir("coven-config-");
    const home = path.join(root, "not", "yet", "home");
    const result = await runCoven(["config", "paths", "--json"], {
      env: { ...baseEnv(), COVEN_HOME: home },
      replaceEnv: true,
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      home,
      homeSource: "COVEN_HOME",
      socket: path.join(home, "coven.sock"),
      database: path.join(home, "coven.sqlite3"),
      daemonJson: path.join(home, "daemon.json"),
      lock: path.join(home, "daemon.lock"),
      logs: path.join(home, "logs"),
      daemonLog: path.join(home, "logs", "daemon.out"),
      privacyToml: path.join(home, "privacy.toml"),
      adapterManifest: { env: "COVEN_HARNESS_ADAPTER_MANIFEST", value: null, paths: [] },
      adapterDirs: { env: "COVEN_HARNESS_ADAPTER_DIRS", value: null, paths: [] },
    });
    expect(fs.existsSync(path.join(root, "not"))).toBe(false);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it("defaults to ~/.coven when COVEN_HOME is unset, without creating it", async () => {
    const fakeHome = tempDir("coven-config-home-");
    const result = await runCoven(["config", "paths", "--json"], {
      env: { ...baseEnv(), HOME: fakeHome },
      replaceEnv: true,
    });
    expect(result.status).toBe(0);
    const paths = JSON.parse(result.stdout);
    expect(paths.home).toBe(path.join(fakeHome, ".coven"));
    expect(paths.homeSource).toBe("default");
    expect(paths.socket).toBe(path.join(fakeHome, ".coven", "coven.sock"));
    expect(fs.existsSync(path.join(fakeHome, ".coven"))).toBe(false);
  });

  it("resolves a relative COVEN_HOME and the adapter settings against the working directory", async () => {
    const cwd = tempDir("coven-config-cwd-");
    const result = await runCoven(["config", "paths", "--json"], {
      env: {
        ...baseEnv(),
        COVEN_HOME: "rel-home",
        COVEN_HARNESS_ADAPTER_MANIFEST: "adapters/one.json",
        COVEN_HARNESS_ADAPTER_DIRS: `dir-a${path.delimiter}${path.delimiter}/abs/dir-b`,
      },
      replaceEnv: true,
      cwd,
    });
    expect(result.status).toBe(0);
    const paths = JSON.parse(result.stdout);
    expect(paths.home).toBe(path.join(cwd, "rel-home"));
    expect(paths.adapterManifest).toEqual({
      env: "COVEN_HARNESS_ADAPTER_MANIFEST",
      value: "adapters/one.json",
      paths: [path.join(cwd, "adapters/one.json")],
    });
    expect(paths.adapterDirs.paths).toEqual([path.join(cwd, "dir-a"), "/abs/dir-b"]);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it("prints a readable table", async () => {
    const home = path.join(tempDir("coven-config-"), "home");
    const result = await runCoven(["config", "paths"], {
      env: { ...baseEnv(), COVEN_HOME: home },
      replaceEnv: true,
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^socket\\s+${path.join(home, "coven.sock")}$`, "m"));
    expect(result.stdout).toMatch(/^COVEN_HARNESS_ADAPTER_MANIFEST\s+\(unset\)$/m);
    expect(fs.existsSync(home)).toBe(false);
  });
});
