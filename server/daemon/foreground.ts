import { serveDaemon } from "./serve.js";

/** `coven daemon serve`: serve until SIGINT/SIGTERM, then shut down gracefully. */
export async function runForeground(options: { tcp?: string } = {}): Promise<void> {
  let daemon: Awaited<ReturnType<typeof serveDaemon>>;
  try {
    daemon = await serveDaemon({ tcp: options.tcp });
  } catch (error) {
    process.stderr.write(`coven: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`coven: ${signal} received, shutting down\n`);
    daemon.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`coven: shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
