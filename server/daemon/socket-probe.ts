import fs from "node:fs";
import net from "node:net";

/** True when something accepts connections on the Unix socket (a live daemon), false for a stale file. */
export function socketAnswers(socketPath: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export class DaemonAlreadyRunningError extends Error {
  constructor(socketPath: string) {
    super(`A Coven daemon is already serving ${socketPath}; refusing to start a second one.`);
    this.name = "DaemonAlreadyRunningError";
  }
}

/** Removes a socket file left by a crashed daemon; refuses when a live daemon still answers on it. */
export async function clearStaleSocket(socketPath: string): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(socketPath);
  } catch {
    return;
  }
  if (await socketAnswers(socketPath)) throw new DaemonAlreadyRunningError(socketPath);
  if (!stats.isSocket()) {
    throw new Error(`${socketPath} exists and is not a socket; move it aside before starting the daemon.`);
  }
  fs.unlinkSync(socketPath);
}
