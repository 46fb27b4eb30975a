import type { Command } from "commander";

/** `coven doctor` and `coven diagnostics bundle`: what an operator runs when something is wrong. */
export function registerDoctorCommands(program: Command): void {
  program
    .command("doctor")
    .description("Check Node, COVEN_HOME, the daemon, the store, free disk and every harness adapter")
    .option("--json", "print the report as JSON")
    .action(async (options: { json?: boolean }) => {
      // Doctor inspects this installation (adapters, the store) itself, so it loads that code on demand.
      const { runDoctor, formatDoctorReport } = await import("../doctor.js");
      const report = await runDoctor();
      const color = process.stdout.isTTY === true && !process.env.NO_COLOR;
      process.stdout.write(
        options.json ? `${JSON.stringify(report, null, 2)}\n` : formatDoctorReport(report, color),
      );
      process.exitCode = report.ok ? 0 : 1;
    });

  program
    .command("diagnostics")
    .description("Diagnostics for bug reports")
    .command("bundle")
    .description("Write a redacted .tar.gz: status, health, capabilities, doctor, recent daemon log lines")
    .option("-o, --output <file>", "where to write the archive (default ./coven-diagnostics-<time>.tar.gz)")
    .option("--include-sessions", "also include recent session records and log previews (prompts and output)")
    .action(async (options: { output?: string; includeSessions?: boolean }) => {
      const { writeDiagnosticsBundle } = await import("../diagnostics.js");
      const file = await writeDiagnosticsBundle({
        output: options.output,
        includeSessions: options.includeSessions,
      });
      process.stdout.write(`${file}\n`);
    });
}
