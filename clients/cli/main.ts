#!/usr/bin/env node
import { Command } from "commander";
import { registerDaemonCommands } from "./commands/daemon.js";
import { packageVersionSync } from "./version.js";

const program = new Command();
program
  .name("coven")
  .description("Run coding-agent harnesses under the Coven daemon.")
  .version(packageVersionSync())
  .showHelpAfterError();

registerDaemonCommands(program);

await program.parseAsync(process.argv);
