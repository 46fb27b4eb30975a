import type { Command } from "commander";
import { registerConfigCommands } from "./config.js";
import { registerDaemonCommands } from "./daemon.js";
import { registerDoctorCommands } from "./doctor.js";
import { registerMaintenanceCommands } from "./maintenance.js";

/**
 * The commands that work on this host's daemon, home and ledger directly (the daemon's lifecycle, offline
 * maintenance, `config paths`, doctor, diagnostics). They live with the daemon because they run its code; the
 * client commands in `clients/cli` only ask the daemon over its socket.
 */
export function registerHostCommands(program: Command, options: { cliEntry: string }): void {
  registerDaemonCommands(program, options.cliEntry);
  registerMaintenanceCommands(program);
  registerConfigCommands(program);
  registerDoctorCommands(program);
}
