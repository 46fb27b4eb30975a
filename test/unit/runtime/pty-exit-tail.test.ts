import fs from "node:fs";
import path from "node:path";
import * as pty from "node-pty";
import { describe, expect, it } from "vitest";
import { readTailBeforeClose } from "../../../server/runtime/pty-exit-tail.js";
import { tempDir } from "../../helpers/daemon.js";

const LINES = 600;

/** Prints LINES numbered 100-byte lines and DONE in one write, then exits at once, as harnesses do. */
const BURST = `
let text = "";
for (let i = 0; i < ${LINES}; i += 1) text += "line " + String(i).padStart(6, "0") + " " + "x".repeat(86) + "\\n";
process.stdout.write(text + "DONE\\n");
`;

const EXPECTED = Array.from(
  { length: LINES },
  (_, i) => `line ${String(i).padStart(6, "0")} ${"x".repeat(86)}\r\n`,
)
  .join("")
  .concat("DONE\r\n");

/**
 * Runs the burst in a real PTY while this event loop is kept busy in 20 ms slices (a daemon serving other
 * sessions), so the PTY is still full when the harness exits. Resolves with what was received, in order, and
 * whether anything arrived after node-pty's exit event.
 */
async function runBusy(script: string, keepTail: boolean): Promise<{ text: string; afterExit: boolean }> {
  let text = "";
  let exited = false;
  let afterExit = false;
  let busy = true;
  const spin = () => {
    if (!busy) return;
    const until = performance.now() + 20;
    while (performance.now() < until);
    setImmediate(spin);
  };
  const child = pty.spawn(process.execPath, [script], { cols: 120, rows: 32, cwd: path.dirname(script) });
  const onData = (data: string) => {
    if (exited) afterExit = true;
    text += data;
  };
  child.onData(onData);
  if (keepTail) readTailBeforeClose(child, onData);
  setImmediate(spin);
  await new Promise<void>((resolve) =>
    child.onExit(() => {
      exited = true;
      resolve();
    }),
  );
  busy = false;
  return { text, afterExit };
}

describe("readTailBeforeClose", () => {
  const script = path.join(tempDir(), "burst.js");
  fs.writeFileSync(script, BURST);

  it("keeps every byte a harness printed just before exiting, ahead of the exit, while the loop is busy", async () => {
    for (let round = 0; round < 3; round += 1) {
      const { text, afterExit } = await runBusy(script, true);
      expect(text.length).toBe(EXPECTED.length);
      expect(text).toBe(EXPECTED);
      expect(afterExit).toBe(false);
    }
  });
});
