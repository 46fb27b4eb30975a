#!/usr/bin/env node
import { Command } from "commander";
import { registerConfigCommands } from "./commands/config.js";
import { registerDaemonCommands } from "./commands/daemon.js";
import { registerDoctorCommands } from "./commands/doctor.js";
import { registerEventCommands } from "./commands/events.js";
import { registerMaintenanceCommands } from "./commands/maintenance.js";
import { registerSessionCommands } from "./commands/sessions.js";
import { registerTerminalCommands } from "./commands/terminal.js";
import { packageVersionSync } from "./version.js";

const program = new Command();
program
  .name("coven")
  .description("Run coding-agent harnesses under the Coven daemon.")
  .version(packageVersionSync())
  .showHelpAfterError();

registerDaemonCommands(program);
registerMaintenanceCommands(program);
registerConfigCommands(program);
registerDoctorCommands(program);
registerTerminalCommands(program);
registerSessionCommands(program);
registerEventCommands(program);

// Commands that do not talk to the daemon (daemon lifecycle, doctor, diagnostics) report failures the same way.
await program.parseAsync(process.argv).catch(async (error: unknown) => {
  const { createIo, reportError } = await import("./action.js");
  process.exitCode = await reportError(error, createIo(false));
});
