import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DailyLogDestination, dailyLogFileName } from "../../../server/daemon/log-file.js";
import { Redactor } from "../../../server/privacy/redactor.js";
import { tempDir, waitFor } from "../../helpers/daemon.js";

/** Ends the destination and waits until every file holds its lines (they are opened and written asynchronously). */
async function finish(destination: DailyLogDestination, dir: string, lineCount: number): Promise<void> {
  destination.end();
  const lines = () =>
    fs
      .readdirSync(dir)
      .map((name) => fs.readFileSync(path.join(dir, name), "utf8"))
      .join("")
      .split("\n")
      .filter(Boolean).length;
  await waitFor(() => lines() >= lineCount, `${lineCount} log lines on disk`, 5_000);
}

describe("the daily log file", () => {
  it("names files by UTC day", () => {
    expect(dailyLogFileName(new Date("2026-11-26T23:59:59.000Z"))).toBe("daemon-2026-11-26.log");
  });

  it("rotates at the day boundary, redacts every line, and keeps files owner-only", async () => {
    const dir = path.join(tempDir(), "logs");
    let now = new Date("2026-11-26T23:59:59.000Z");
    const stream = new DailyLogDestination(dir, new Redactor(), () => now);
    stream.write('{"msg":"first","key":"AKIAIOSFODNN7EXAMPLE"}\n');
    now = new Date("2026-11-27T00:00:01.000Z");
    stream.write('{"msg":"second"}\n');
    await finish(stream, dir, 2);
    expect(fs.readdirSync(dir).sort()).toEqual(["daemon-2026-11-26.log", "daemon-2026-11-27.log"]);
    const first = fs.readFileSync(path.join(dir, "daemon-2026-11-26.log"), "utf8");
    expect(first).toContain('"msg":"first"');
    expect(first).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(first).toContain("[REDACTED:aws_access_key_id]");
    expect(fs.readFileSync(path.join(dir, "daemon-2026-11-27.log"), "utf8")).toBe('{"msg":"second"}\n');
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, "daemon-2026-11-27.log")).mode & 0o777).toBe(0o600);
  });
});
