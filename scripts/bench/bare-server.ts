import http from "node:http";

/** The baseline: a bare Node HTTP server on a Unix socket answering a JSON body of similar size. */
const socketPath = process.argv[2];
if (!socketPath) throw new Error("usage: bare-server.js SOCKET");
const body = JSON.stringify({ ok: true, apiVersion: "coven.daemon.v1", padding: "x".repeat(900) });
http
  .createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(body);
  })
  .listen(socketPath, () => process.send?.("ready"));
