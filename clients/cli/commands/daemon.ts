import type { Command } from "commander";

/** `coven daemon …`: running and managing the daemon. Actions import their code only when they run. */
export function registerDaemonCommands(program: Command): void {
  const daemon = program.command("daemon").description("Run and manage the Coven daemon");
  daemon
    .command("serve")
    .description("Run the daemon in the foreground (for supervisors); SIGINT/SIGTERM stop it gracefully")
    .option("--tcp <host:port>", "also listen on a loopback TCP address (off by default)")
    .action(async (options: { tcp?: string }) => {
      // Loaded only for this command: other commands never pull the daemon (or SQLite) into the CLI process.
      const { runForeground } = await import("../../../server/daemon/foreground.js");
      await runForeground(options);
    });
}
