import { afterAll, describe, expect, it } from "vitest";
import { writeHarnessFixture } from "../../../scripts/bench/harness-fixtures.js";
import { RequiredWorkFloor } from "../../../scripts/bench/required-work-floor.js";

// The floor is a benchmark's reference, so it must really do the work it stands for: redact the stream (a key
// split across two writes included), and store every other byte in the ledger.
const SPLIT_KEY_HARNESS = {
  id: "floor-split-key",
  label: "Floor split key",
  source: String.raw`
process.stdout.write("line one\nkey AKIAQ7VB");
setTimeout(() => process.stdout.write("KX3EXAMPLE23 done\n" + "x".repeat(40000) + "\n"), 50);
`,
};

describe("the throughput benchmark's required-work floor", () => {
  const fixture = writeHarnessFixture([SPLIT_KEY_HARNESS]);
  afterAll(() => fixture.remove());

  it("stores a real PTY's output redacted, in rows of at most the writer's size", async () => {
    const floor = await RequiredWorkFloor.open();
    try {
      const run = await floor.round(fixture.scriptPath(SPLIT_KEY_HARNESS.id), []);
      expect(run.exitCode).toBe(0);
      const payloads = floor.storedPayloads();
      expect(payloads.length).toBeGreaterThanOrEqual(2);
      const text = payloads.map((json) => (JSON.parse(json) as { data: string }).data).join("");
      expect(text).toBe(`line one\r\nkey [REDACTED:aws_access_key_id] done\r\n${"x".repeat(40000)}\r\n`);
      expect(run.storedBytes).toBe(Buffer.byteLength(text));
      expect(run.seconds).toBeGreaterThan(0);
    } finally {
      floor.close();
    }
  });
});
