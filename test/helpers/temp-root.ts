import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * Vitest global setup: the run's temporary files (daemon homes, fake harnesses, ledgers) all go under one
 * directory, removed when the run ends however it ended. Setting TMPDIR before the test processes start is what
 * moves them: `os.tmpdir()` in every test file, and in every daemon and harness the tests spawn, follows it.
 */
export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "coven-tests-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    fs.rmSync(root, { recursive: true, force: true });
  };
}
