import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import type { IPty } from "node-pty";
import { dropQueuedWrites } from "./pty-descriptor.js";

/** A bound on the synchronous read, for a terminal that a background process of the harness keeps writing to. */
const MAX_TAIL_BYTES = 4 * 1024 * 1024;

interface ReadSocket {
  destroyed: boolean;
  destroy: (error?: Error) => unknown;
}

/**
 * Keeps the last output of a harness that exits. A Linux PTY hands over at most 4 KiB per read. Once the harness
 * has closed its side, epoll reports the PTY as hung up, and libuv takes a read shorter than its 64 KiB buffer
 * together with that hang-up for the end of the stream: the socket ends and is destroyed while the kernel still
 * holds up to ~64 KiB of output. (node-pty's 200 ms wait after the exit, microsoft/node-pty#72, ends the same
 * way.) The harness exiting right after a burst of output, while the daemon is busy, lost its tail that way:
 * with libuv 1.46 (Node 20) a run like the unit test's lost it 5 times in 5; libuv 1.52 (Node 24) keeps reading.
 *
 * Before the socket is destroyed, for whatever reason, this reads what the PTY still holds straight from its
 * file descriptor (non-blocking: it stops at EAGAIN, or EIO once the closed terminal is empty) and passes it to
 * `onTail`, ahead of node-pty's exit event. node-pty keeps the socket and descriptor in private fields; on a
 * version without them its behaviour is left as it is.
 */
export function readTailBeforeClose(child: IPty, onTail: (text: string) => void): void {
  const { _socket: socket, _fd: fd } = child as unknown as { _socket?: ReadSocket; _fd?: unknown };
  if (!socket || typeof socket.destroy !== "function" || typeof fd !== "number") return;
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (error?: Error) => {
    try {
      if (!socket.destroyed) {
        const tail = readRemaining(fd);
        if (tail.length > 0) onTail(tail);
      }
    } catch {
      // Only a broken writer could throw here, and the exit that follows reports it; the socket must close
      // regardless (node-pty's exit event waits for that), and a throw here would escape into a timer.
    }
    dropQueuedWrites(child);
    destroy(error);
    return socket;
  };
}

function readRemaining(fd: number): string {
  const decoder = new StringDecoder("utf8");
  const buffer = Buffer.allocUnsafe(64 * 1024);
  let text = "";
  for (let total = 0; total < MAX_TAIL_BYTES; ) {
    let read: number;
    try {
      read = fs.readSync(fd, buffer, 0, buffer.length, null);
    } catch {
      // EAGAIN: nothing more for now; EIO: the terminal is closed and drained.
      break;
    }
    if (read <= 0) break;
    total += read;
    text += decoder.write(buffer.subarray(0, read));
  }
  return text + decoder.end();
}
