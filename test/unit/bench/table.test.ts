import { describe, expect, it } from "vitest";
import { type BenchRow, formatTable } from "../../../scripts/bench/all.js";

const row = (scenario: string, met: boolean | null, extra: Partial<BenchRow> = {}): BenchRow => ({
  scenario,
  measured: "1",
  baseline: "2",
  comparison: "ratio 0.50",
  target: "ratio ≥ 0.8",
  met,
  ...extra,
});

describe("the bench table", () => {
  it("prints, under the table, the cause and what remains for every missed target, and nothing for met ones", () => {
    const text = formatTable([
      row("health round-trips", true),
      row("persisted output throughput", false, { missed: { cause: "CPU bound", remains: "a spare core" } }),
      row("ledger pages", null, { error: "fixture failed" }),
    ]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^scenario +\| measured/);
    expect(lines.find((line) => line.startsWith("health round-trips"))).toMatch(/\| yes$/);
    expect(lines.find((line) => line.startsWith("persisted output throughput"))).toMatch(/\| NO$/);
    expect(lines.find((line) => line.startsWith("ledger pages"))).toMatch(/ERROR: fixture failed$/);
    expect(text).toContain(
      "persisted output throughput: NOT MET\n  cause: CPU bound\n  remains: a spare core",
    );
    expect(text).not.toContain("health round-trips: NOT MET");
  });

  it("has no explanation section when every target is met", () => {
    expect(formatTable([row("health round-trips", true)])).not.toContain("cause:");
  });
});
