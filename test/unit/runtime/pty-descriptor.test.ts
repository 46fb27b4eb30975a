import * as pty from "node-pty";
import { describe, expect, it } from "vitest";
import { terminalOpen } from "../../../server/runtime/pty-descriptor.js";

describe("terminalOpen", () => {
  it("is true while a real PTY's harness runs and false once its side is closed", async () => {
    const child = pty.spawn(process.execPath, ["-e", "setTimeout(() => {}, 200)"], {});
    expect(terminalOpen(child)).toBe(true);
    await new Promise<void>((resolve) => child.onExit(() => resolve()));
    // node-pty has destroyed the terminal's socket (and closed its descriptor) by the time it reports the exit.
    expect(terminalOpen(child)).toBe(false);
  });
});
