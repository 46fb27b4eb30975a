import type { IPty } from "node-pty";

interface PtyInternals {
  _socket?: { destroyed?: boolean };
  _writeStream?: { _writeQueue?: unknown[] };
}

/**
 * Whether the PTY's file descriptor may still be written to. node-pty (1.1) writes input and resizes through the
 * descriptor's number, with no check of its own: once the terminal's socket is destroyed (the harness closed
 * its side), the descriptor is closed, and its number may already belong to another file, such as a client
 * connection the daemon has just accepted. Input written then went to that client. On a node-pty without these
 * internals it cannot be told, and the terminal counts as open.
 */
export function terminalOpen(child: IPty): boolean {
  return (child as unknown as PtyInternals)._socket?.destroyed !== true;
}

/** Drops input node-pty queued (the terminal was full) and would write after its descriptor is closed. */
export function dropQueuedWrites(child: IPty): void {
  const queue = (child as unknown as PtyInternals)._writeStream?._writeQueue;
  if (Array.isArray(queue)) queue.length = 0;
}
