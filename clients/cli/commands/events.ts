import { type Command, InvalidArgumentError } from "commander";
import { withClient } from "../action.js";

function parseSeq(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a seq (a non-negative integer)");
  return Number(value);
}

/** `coven events`: a session's event log, or its live tail with --follow. */
export function registerEventCommands(program: Command): void {
  program
    .command("events")
    .description(
      "Print a session's events (output as text, lifecycle events as notes); --follow waits for more",
    )
    .argument("<id>", "session id or unique prefix")
    .option("--after <seq>", "only events after this seq", parseSeq)
    .option("-f, --follow", "keep printing new events until the session ends")
    .option("--json", "print each event record as one line of JSON")
    .action((id: string, options: { after?: number; follow?: boolean; json?: boolean }) =>
      withClient(options, async (client, io) => {
        const { EventPrinter } = await import("../ui/events.js");
        const record = await client.resolveSession(id);
        const afterSeq = options.after ?? 0;
        // Ctrl-C while following ends the command quietly (the session goes on).
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once("SIGINT", onSignal);
        process.once("SIGTERM", onSignal);
        const events = options.follow
          ? client.followSession(record.id, { afterSeq, signal: stop.signal })
          : client.listEvents(record.id, afterSeq);
        const printer = new EventPrinter((text) => process.stdout.write(text), io.colors);
        try {
          for await (const event of events) {
            if (io.json) io.printJson(event);
            else printer.print(event);
            if (stop.signal.aborted) break;
          }
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
          if (!io.json) printer.finish();
        }
        return 0;
      }),
    );
}
