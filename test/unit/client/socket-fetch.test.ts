import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createSocketFetch } from "../../../clients/core/socket-fetch.js";
import { tempDir } from "../../helpers/daemon.js";

/** A real Unix socket server that accepts connections and then does `behave` with each. */
async function socketServer(behave: (socket: net.Socket) => void): Promise<{ path: string; close(): void }> {
  const socketPath = path.join(tempDir(), "hung.sock");
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    behave(socket);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    path: socketPath,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe("the socket fetch", () => {
  it("gives up on a server that accepts a request and never answers, saying the daemon may be hung", async () => {
    const server = await socketServer(() => {});
    cleanups.push(server.close);
    const { fetch, close } = createSocketFetch(server.path, { responseTimeoutMs: 200 });
    cleanups.push(close);
    const started = Date.now();
    const failure = await fetch("http://localhost/api/v1/health").catch(
      (error: NodeJS.ErrnoException) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as NodeJS.ErrnoException).code).toBe("ETIMEDOUT");
    expect((failure as Error).message).toContain("the daemon may be hung");
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("puts no limit on a change (POST), which may wait behind a long vacuum", async () => {
    const server = await socketServer((socket) => {
      socket.once("data", () => {
        setTimeout(
          () => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"),
          400,
        );
      });
    });
    cleanups.push(server.close);
    const { fetch, close } = createSocketFetch(server.path, { responseTimeoutMs: 200 });
    cleanups.push(close);
    const response = await fetch("http://localhost/trpc/sessions.launch", { method: "POST", body: "{}" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("ok");
  });

  it("puts no limit on a response once it has begun (a stream may idle)", async () => {
    const server = await socketServer((socket) => {
      socket.once("data", () => {
        socket.write(
          "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
        );
        // The body's first chunk comes well after the response timeout.
        setTimeout(() => socket.write("5\r\nhello\r\n0\r\n\r\n"), 400);
      });
    });
    cleanups.push(server.close);
    const { fetch, close } = createSocketFetch(server.path, { responseTimeoutMs: 200 });
    cleanups.push(close);
    const response = await fetch("http://localhost/api/v1/events/stream");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello");
  });
});
