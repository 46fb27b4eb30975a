#!/usr/bin/env node
import { Command } from "commander";
import { packageVersionSync } from "./version.js";

const program = new Command();
program
  .name("coven")
  .description("Run coding-agent harnesses under the Coven daemon.")
  .version(packageVersionSync());

const daemon = program.command("daemon").description("Run and manage the Coven daemon");
daemon
  .command("serve")
  .description("Run the daemon in the foreground (for supervisors); Ctrl-C stops it gracefully")
  .action(async () => {
    // Loaded only for this command: other commands never pull the daemon (or SQLite) into the CLI process.
    const { runForeground } = await import("../../server/daemon/foreground.js");
    await runForeground();
  });

await program.parseAsync(process.argv);
