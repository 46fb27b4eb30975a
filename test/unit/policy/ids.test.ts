import { describe, expect, it } from "vitest";
import { CovenError } from "../../../server/errors.js";
import { assertSessionId, isValidSessionId, newEventId, newSessionId } from "../../../server/policy/ids.js";

describe("session ids", () => {
  it("accepts URL-safe ids of 1 to 128 characters", () => {
    for (const id of ["a", "A-b_9", "x".repeat(128), "123e4567-e89b-12d3-a456-426614174000"]) {
      expect(isValidSessionId(id)).toBe(true);
    }
  });

  it("refuses everything else", () => {
    for (const id of ["", "x".repeat(129), "a/b", "..", "a.b", "a b", "a%2F", "é", "a\0", "a\n"]) {
      expect(isValidSessionId(id)).toBe(false);
    }
    expect(isValidSessionId(42)).toBe(false);
  });

  it("mints unique, valid UUIDs", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(isValidSessionId(id)).toBe(true);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  it("assertSessionId throws invalid_request naming the field", () => {
    expect(() => assertSessionId("ok_id")).not.toThrow();
    for (const [field, expected] of [
      [undefined, "id"],
      ["sessionId", "sessionId"],
    ] as const) {
      try {
        assertSessionId("../etc", field);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(CovenError);
        expect((error as CovenError).code).toBe("invalid_request");
        expect((error as CovenError).details).toEqual({ field: expected });
      }
    }
  });
});

describe("event ids", () => {
  const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  const millisOf = (id: string) => Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16);

  it("are version 7 UUIDs carrying their creation time, unique over many more ids than one random pool", () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, () => newEventId());
    const after = Date.now();
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(V7);
      expect(millisOf(id)).toBeGreaterThanOrEqual(before);
      expect(millisOf(id)).toBeLessThanOrEqual(after);
    }
  });

  it("sort in time order across milliseconds, so new ids land at the end of the ledger's id index", () => {
    const times = [1_700_000_000_000, 1_700_000_000_001, 1_800_000_000_000, 2 ** 48 - 1];
    const ids = times.map((now) => newEventId(now));
    expect([...ids].sort()).toEqual(ids);
    expect(ids.map(millisOf)).toEqual(times);
  });
});
