/**
 * When the checkpoint thread copies the WAL back (see `checkpoint-worker.ts`): once per round, after a round in
 * which the writer committed nothing, or, under writing that never pauses, once `maxDeferMs` of rounds have been
 * put off, so the WAL holds at most about that long's commits.
 */
export class CheckpointPacing {
  private deferredMs = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly maxDeferMs: number,
  ) {}

  /** Called once per round; `writing` says whether the writer committed since the last one. */
  checkpointNow(writing: boolean): boolean {
    if (writing && this.deferredMs + this.intervalMs < this.maxDeferMs) {
      this.deferredMs += this.intervalMs;
      return false;
    }
    this.deferredMs = 0;
    return true;
  }
}
