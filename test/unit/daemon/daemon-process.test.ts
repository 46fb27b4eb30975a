import { describe, expect, it } from "vitest";
import { isDaemonServeCommandLine } from "../../../server/daemon/daemon-process.js";

describe("isDaemonServeCommandLine", () => {
  it("recognises `daemon serve` run by the built entry point, the installed bin, and older builds' entry point", () => {
    expect(isDaemonServeCommandLine(["node", "/opt/coven/dist/bin/coven.js", "daemon", "serve"])).toBe(true);
    expect(isDaemonServeCommandLine(["node", "/usr/local/bin/coven", "daemon", "serve", "--tcp", "x"])).toBe(
      true,
    );
    // A daemon started before an upgrade still runs the old entry point; stop and status must know it.
    expect(isDaemonServeCommandLine(["node", "/opt/coven/dist/clients/cli/main.js", "daemon", "serve"])).toBe(
      true,
    );
  });

  it("refuses other programs and other coven commands", () => {
    expect(isDaemonServeCommandLine(["node", "/opt/coven/dist/bin/coven.js", "daemon", "status"])).toBe(
      false,
    );
    expect(isDaemonServeCommandLine(["node", "/opt/other/server.js", "daemon", "serve"])).toBe(false);
    expect(isDaemonServeCommandLine(["node", "/opt/x/notcoven.js", "daemon", "serve"])).toBe(false);
    expect(isDaemonServeCommandLine(["daemon", "serve"])).toBe(false);
  });
});
