import type { Command } from "commander";
import type { CovenClient, SessionRecord } from "../../core/client.js";
import { type ActionIo, withClient } from "../action.js";

/** After a session command nothing should keep the process alive; if something does, it must not hang the shell. */
function exitSoon(): void {
  setTimeout(() => process.exit(), 2000).unref();
}

/** The size of the terminal this command runs in, when it runs in one that knows its size. */
function localTerminalSize(): { cols: number; rows: number } | undefined {
  const { isTTY, columns, rows } = process.stdout;
  return isTTY && columns > 0 && rows > 0 ? { cols: columns, rows } : undefined;
}

/** `--json` without `--detach`: the launch record, then each event as a line of JSON, until the session ends. */
async function followAsJson(client: CovenClient, record: SessionRecord, io: ActionIo): Promise<number> {
  const { exitCodeOf, exitPayload } = await import("../ui/events.js");
  const os = await import("node:os");
  io.printJson(record);
  let code = 1;
  for await (const event of client.followSession(record.id)) {
    io.printJson(event);
    if (event.kind === "exit") {
      const exit = exitPayload(event);
      code = exitCodeOf(
        exit.status,
        exit.exitCode,
        exit.signal,
        os.constants.signals as Record<string, number>,
      );
    }
  }
  return code;
}

/** `coven run` and `coven attach`: sessions in the local terminal. */
export function registerTerminalCommands(program: Command): void {
  program
    .command("run")
    .description(
      "Launch a harness in the project containing the current directory (nearest git root) and attach to it",
    )
    .argument(
      "<harness>",
      "harness id (see the daemon's capabilities: codex, claude, copilot, or an adapter)",
    )
    .argument(
      "[prompt...]",
      "the prompt (words are joined with spaces; it reaches the harness as one argument)",
    )
    .option(
      "--cwd <dir>",
      "run there instead of the current directory (the project is the one containing it)",
    )
    .option("--title <title>", "the session's title (default: the prompt's first line)")
    .option("--non-interactive", "launch the harness in its non-interactive (batch) mode")
    .option("-d, --detach", "do not attach: print the new session's id and return")
    .option("--json", "print the API's launch record (and without --detach, each event as a line of JSON)")
    .action(
      (
        harness: string,
        words: string[],
        options: { cwd?: string; title?: string; nonInteractive?: boolean; detach?: boolean; json?: boolean },
      ) =>
        withClient(options, async (client, io) => {
          const { locateProject } = await import("../project.js");
          const { projectRoot, cwd } = locateProject(options.cwd ?? process.cwd());
          const record = await client.launch({
            projectRoot,
            cwd,
            harness,
            prompt: words.join(" "),
            ...(options.title !== undefined ? { title: options.title } : {}),
            ...(options.nonInteractive ? { launchMode: "nonInteractive" as const } : {}),
            // Attaching from a terminal: the harness starts at this terminal's size, not the daemon's default.
            ...(!options.detach && !options.json ? localTerminalSize() : {}),
          });
          if (options.detach) {
            if (io.json) io.printJson(record);
            else io.out(record.id);
            if (!io.json && process.stderr.isTTY) {
              io.err(
                io.errColors.dim(
                  `Started ${record.harness} in ${record.cwd}; \`coven attach ${record.id.slice(0, 8)}\` to watch it.`,
                ),
              );
            }
            return 0;
          }
          if (io.json) return followAsJson(client, record, io);
          const { attachSession } = await import("../attach.js");
          return attachSession(client, record, { verb: "started" });
        }).finally(exitSoon),
    );

  program
    .command("attach")
    .description("Replay a session and follow it live, typing into it; Ctrl-] detaches and leaves it running")
    .argument("<id>", "session id or unique prefix")
    .action((id: string) =>
      withClient({}, async (client) => {
        const record = await client.resolveSession(id);
        const { attachSession } = await import("../attach.js");
        return attachSession(client, record);
      }).finally(exitSoon),
    );
}
