import { type Command, InvalidArgumentError } from "commander";
import type { CovenClient, SessionRecord } from "../../core/client.js";
import { type ActionIo, UsageError, withClient } from "../action.js";
import {
  type Palette,
  paintStatus,
  printable,
  relativeTime,
  renderTable,
  shortIds,
  whenText,
} from "../ui/format.js";

const DEFAULT_LIST_LIMIT = 50;
/** Beyond the daemon's SIGTERM → SIGKILL grace period (3 s by default). */
const KILL_WAIT_MS = 15_000;

/** Polls the record until the session is terminal (the answer), or undefined after `timeoutMs`. */
async function waitUntilEnded(
  client: CovenClient,
  id: string,
  timeoutMs: number,
): Promise<SessionRecord | undefined> {
  const { isTerminalStatus } = await import("../../core/client.js");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await client.getSession(id);
    if (isTerminalStatus(record.status)) return record;
    if (Date.now() >= deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export function parsePositiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("must be a positive integer");
  return Number(value);
}

function statusText(record: SessionRecord): string {
  // A killed session's code says nothing (the signal ended it); only completed and failed ones carry one.
  const showsCode =
    record.exit_code !== null && (record.status === "completed" || record.status === "failed");
  return `${record.status}${showsCode ? ` (${record.exit_code})` : ""}${record.archived_at ? ", archived" : ""}`;
}

function projectName(root: string): string {
  return root.split("/").filter(Boolean).at(-1) ?? root;
}

export function sessionsTable(sessions: SessionRecord[], io: ActionIo): string {
  const ids = shortIds(sessions.map((session) => session.id));
  const now = Date.now();
  const rows = sessions.map((session) => [
    ids.get(session.id) ?? session.id,
    statusText(session),
    session.harness,
    relativeTime(session.created_at, now),
    projectName(session.project_root),
    session.title,
  ]);
  return renderTable(
    [
      { header: "ID" },
      { header: "STATUS" },
      { header: "HARNESS" },
      { header: "CREATED" },
      { header: "PROJECT" },
      { header: "TITLE", flexible: true },
    ],
    rows,
    {
      colors: io.colors,
      maxWidth: io.width,
      paint: (column, text, row) => {
        if (column === 0) return io.colors.bold(text);
        if (column === 1)
          return paintStatus(sessions[row]!.status, io.colors) + text.slice(sessions[row]!.status.length);
        if (column === 3) return io.colors.dim(text);
        return text;
      },
    },
  );
}

export function sessionDetails(record: SessionRecord, colors: Palette): string {
  const none = colors.dim("—");
  const exit = record.exit_code === null ? "" : ` (exit ${record.exit_code})`;
  const fields: [string, string][] = [
    ["id", colors.bold(record.id)],
    ["status", `${paintStatus(record.status, colors)}${exit}`],
    ["harness", record.harness],
    ["title", record.title ? printable(record.title) : none],
    ["project", printable(record.project_root)],
    ["cwd", printable(record.cwd)],
    ["created", whenText(record.created_at)],
    ["updated", whenText(record.updated_at)],
    ["archived", record.archived_at ? whenText(record.archived_at) : none],
    ["external", record.external ? "yes" : "no"],
    ["conversation", record.conversation_id ? printable(record.conversation_id) : none],
    ["transcript", record.transcript_path ? printable(record.transcript_path) : none],
    ["labels", record.labels.length ? printable(record.labels.join(", ")) : none],
  ];
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${colors.dim(name.padEnd(width))}  ${value}`).join("\n");
}

/** `coven sessions`, `show`, `kill`, `archive`, `summon`, `sacrifice`: reading and curating the ledger. */
export function registerSessionCommands(program: Command): void {
  program
    .command("sessions")
    .description("List sessions, newest first (archived ones only with --all)")
    .option("-a, --all", "include archived sessions")
    .option("-n, --limit <n>", `show at most N sessions (default ${DEFAULT_LIST_LIMIT})`, parsePositiveInt)
    .option("--json", "print the API's page body: { sessions, next_cursor }")
    .action((options: { all?: boolean; limit?: number; json?: boolean }) =>
      withClient(options, async (client, io) => {
        const limit = options.limit ?? DEFAULT_LIST_LIMIT;
        const page = await client.collectSessions({ limit, includeArchived: options.all === true });
        if (io.json) {
          io.printJson(page);
          return 0;
        }
        if (page.sessions.length === 0) {
          io.out(options.all ? "No sessions." : "No sessions (archived ones are listed with --all).");
          io.out(io.colors.dim("Start one with `coven run <harness> [prompt…]`."));
          return 0;
        }
        io.out(sessionsTable(page.sessions, io));
        if (page.next_cursor !== null) {
          io.out(io.colors.dim(`… older sessions not shown; raise --limit (now ${limit}) to see them.`));
        }
        return 0;
      }),
    );

  program
    .command("show")
    .description("Show one session (the id may be abbreviated to a unique prefix)")
    .argument("<id>", "session id or unique prefix")
    .option("--json", "print the API's session record")
    .action((id: string, options: { json?: boolean }) =>
      withClient(options, async (client, io) => {
        const record = await client.resolveSession(id);
        if (io.json) io.printJson(record);
        else io.out(sessionDetails(record, io.colors));
        return 0;
      }),
    );

  program
    .command("kill")
    .description(
      "Stop a running session (SIGTERM to its process group, SIGKILL after a grace period) and wait until it ended",
    )
    .argument("<id>", "session id or unique prefix")
    .option("--no-wait", "return as soon as the daemon accepted the kill")
    .option("--json", "print the API's answer")
    .action((id: string, options: { wait: boolean; json?: boolean }) =>
      withClient(options, async (client, io) => {
        const record = await client.resolveSession(id);
        const answer = await client.kill(record.id);
        const ended = options.wait ? await waitUntilEnded(client, record.id, KILL_WAIT_MS) : undefined;
        if (io.json) io.printJson(answer);
        else if (!options.wait) io.out(`Stopping session ${io.colors.bold(record.id)} (${record.harness}).`);
        else if (ended)
          io.out(`Stopped session ${io.colors.bold(record.id)}: ${paintStatus(ended.status, io.colors)}.`);
        if (options.wait && !ended) {
          io.err(
            `coven: session ${record.id} was asked to stop but is still running after ${KILL_WAIT_MS / 1000} s.`,
          );
          return 1;
        }
        return 0;
      }),
    );

  program
    .command("archive")
    .description("Hide a finished session from `coven sessions` (it is kept; `coven summon` brings it back)")
    .argument("<id>", "session id or unique prefix")
    .option("--json", "print the API's session record")
    .action((id: string, options: { json?: boolean }) =>
      withClient(options, async (client, io) => {
        const record = await client.archive((await client.resolveSession(id)).id);
        if (io.json) io.printJson(record);
        else
          io.out(
            `Archived session ${io.colors.bold(record.id)}; \`coven summon ${record.id.slice(0, 8)}\` brings it back.`,
          );
        return 0;
      }),
    );

  program
    .command("summon")
    .description("Bring an archived session back into `coven sessions`")
    .argument("<id>", "session id or unique prefix")
    .option("--json", "print the API's session record")
    .action((id: string, options: { json?: boolean }) =>
      withClient(options, async (client, io) => {
        const record = await client.summon((await client.resolveSession(id)).id);
        if (io.json) io.printJson(record);
        else io.out(`Summoned session ${io.colors.bold(record.id)}.`);
        return 0;
      }),
    );

  program
    .command("sacrifice")
    .description("Delete a finished session and all its events, for good (needs --yes)")
    .argument("<id>", "session id or unique prefix")
    .option("-y, --yes", "confirm the permanent deletion")
    .option("--json", "print the API's answer")
    .action((id: string, options: { yes?: boolean; json?: boolean }) =>
      withClient(options, async (client, io) => {
        if (!options.yes) {
          throw new UsageError(
            `Refusing to sacrifice ${id} without --yes: it deletes the session and all its events for good.`,
          );
        }
        const record = await client.resolveSession(id);
        const answer = await client.sacrifice(record.id);
        if (io.json) io.printJson(answer);
        else io.out(`Sacrificed session ${io.colors.bold(record.id)}: it and its events are gone.`);
        return 0;
      }),
    );
}
