import { describe, expect, it } from "vitest";
import { CheckpointPacing } from "../../../server/ledger/checkpoint-pacing.js";

/** The rounds (1-based) at which a pacing checkpoints, given whether the writer committed before each. */
function checkpointRounds(pacing: CheckpointPacing, writing: boolean[]): number[] {
  return writing.flatMap((busy, index) => (pacing.checkpointNow(busy) ? [index + 1] : []));
}

describe("CheckpointPacing", () => {
  it("checkpoints every quiet round", () => {
    expect(checkpointRounds(new CheckpointPacing(250, 2000), [false, false, false])).toEqual([1, 2, 3]);
  });

  it("puts checkpoints off while the writer commits, and checkpoints in the first quiet round after", () => {
    const writing = [true, true, true, true, false, true, false];
    expect(checkpointRounds(new CheckpointPacing(250, 2000), writing)).toEqual([5, 7]);
  });

  it("under writing that never pauses, checkpoints once maxDeferMs of rounds have been put off", () => {
    // 250 ms rounds, 2 s bound: seven rounds put off (1,750 ms), the eighth checkpoints, and the count restarts.
    const writing = Array.from({ length: 20 }, () => true);
    expect(checkpointRounds(new CheckpointPacing(250, 2000), writing)).toEqual([8, 16]);
  });

  it("a quiet round restarts the count of rounds put off", () => {
    const writing = [
      ...Array.from({ length: 6 }, () => true),
      false,
      ...Array.from({ length: 8 }, () => true),
    ];
    expect(checkpointRounds(new CheckpointPacing(250, 2000), writing)).toEqual([7, 15]);
  });

  it("a bound no longer than a round checkpoints every round", () => {
    expect(checkpointRounds(new CheckpointPacing(250, 250), [true, true, true])).toEqual([1, 2, 3]);
  });
});
