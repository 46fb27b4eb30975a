import { Command } from "commander";
import { registerEventCommands } from "./commands/events.js";
import { registerSessionCommands } from "./commands/sessions.js";
import { registerTerminalCommands } from "./commands/terminal.js";
import { packageVersionSync } from "./version.js";

/** The `coven` program with its name, version and help settings, before any command is registered. */
export function createProgram(): Command {
  return new Command()
    .name("coven")
    .description("Run coding-agent harnesses under the Coven daemon.")
    .version(packageVersionSync())
    .showHelpAfterError();
}

/** The commands that only ask the daemon, over its socket: run, attach, sessions, events. */
export function registerClientCommands(program: Command): void {
  registerTerminalCommands(program);
  registerSessionCommands(program);
  registerEventCommands(program);
}

/** Parses argv and runs the command; a failure no command reported itself prints one line and sets exit 1. */
export async function runProgram(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  await program.parseAsync(argv).catch(async (error: unknown) => {
    const { createIo, reportError } = await import("./action.js");
    process.exitCode = await reportError(error, createIo(false));
  });
}
