import type { Ledger } from "../../server/ledger/ledger.js";
import { freshSession, type Session } from "../../server/ledger/records.js";

/** A session row as the runtime inserts it before spawning (`created`). */
export function newSession(id: string, overrides: Partial<Session> = {}): Session {
  return freshSession({
    id,
    projectRoot: "/p",
    cwd: "/p",
    harness: "codex",
    title: id,
    status: "created",
    launchMode: "interactive",
    ...overrides,
  });
}

/**
 * Writes a session through the event writer the way the runtime does: the `created` row, then `running` with
 * its `launch` event, output, and (unless `live`) the exit with its status change in one transaction.
 */
export async function recordSession(
  ledger: Ledger,
  id: string,
  options: { output?: string[]; live?: boolean; pid?: number } = {},
): Promise<void> {
  const pid = options.pid ?? 4242;
  await ledger.writer.transact((tx) => tx.sessions.insert(newSession(id)));
  await ledger.writer.transact((tx) => {
    tx.sessions.update(id, { status: "running", pid });
    tx.appendEvent(id, "launch", { harness: "codex", cwd: "/p", pid });
  }, id);
  for (const chunk of options.output ?? ["hello\r\n"]) ledger.writer.appendOutput(id, chunk);
  await ledger.writer.flush();
  if (options.live) return;
  await ledger.writer.transact((tx) => {
    tx.sessions.update(id, { status: "completed", exitCode: 0 });
    tx.appendEvent(id, "exit", { status: "completed", exitCode: 0 });
  }, id);
}
