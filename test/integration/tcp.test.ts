import { spawnSync } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RestClient } from "../helpers/api.js";
import {
  COVEN_BIN,
  startDaemon,
  startOnFreeLoopbackPort,
  type TestDaemon,
  tempDir,
} from "../helpers/daemon.js";
import { assertDocumentedResponse } from "../helpers/openapi-validator.js";

let daemon: TestDaemon;
let port: number;

/** A raw HTTP request over loopback TCP with exactly the Host/Origin headers a browser or attacker would send. */
function tcpRequest(
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path: urlPath,
        headers: { ...headers, ...(payload ? { "content-type": "application/json" } : {}) },
        setHost: false,
      },
      (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => {
          try {
            const parsed = JSON.parse(text);
            assertDocumentedResponse(method, urlPath, response.statusCode ?? 0, parsed);
            resolve({ status: response.statusCode ?? 0, body: parsed });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on("error", reject);
    request.end(payload);
  });
}

beforeAll(async () => {
  ({ daemon, port } = await startOnFreeLoopbackPort((free) =>
    startDaemon({
      args: ["--tcp", `127.0.0.1:${free}`],
      env: { COVEN_TCP_ALLOWED_HOSTS: "tunnel.example", COVEN_TCP_ALLOWED_ORIGINS: "http://localhost:5173" },
    }),
  ));
});

afterAll(async () => {
  await daemon.stop();
});

describe("the loopback TCP listener", () => {
  it("serves reads to loopback hosts and reports itself in health", async () => {
    const health = await tcpRequest("GET", "/api/v1/health", { host: `127.0.0.1:${port}` });
    expect(health.status).toBe(200);
    expect(health.body.tcp).toEqual({
      host: "127.0.0.1",
      port,
      allowedHosts: ["tunnel.example"],
      allowedOrigins: ["http://localhost:5173"],
      readOnly: true,
    });
    expect((await tcpRequest("GET", "/api/v1/sessions", { host: `localhost:${port}` })).status).toBe(200);
    expect((await tcpRequest("GET", "/api/v1/health", { host: "tunnel.example" })).status).toBe(200);
    const allowedOrigin = await tcpRequest("GET", "/api/v1/health", {
      host: `localhost:${port}`,
      origin: "http://localhost:5173",
    });
    expect(allowedOrigin.status).toBe(200);
  });

  it("advertises the same capabilities as the socket (availability, never permission) and says it is read-only", async () => {
    const overTcp = await tcpRequest("GET", "/api/v1/health", { host: `127.0.0.1:${port}` });
    const unix = new RestClient(daemon.socket);
    const overSocket = await unix.call<{ capabilities: Record<string, unknown> }>("GET", "/api/v1/health");
    await unix.close();
    expect(overTcp.body.capabilities).toEqual(overSocket.body.capabilities);
    expect(overTcp.body.capabilities).toMatchObject({ sessionLaunch: true, terminalResize: true });
    // Permission is the tcp block's to say, and the listener's to enforce: a launch over TCP is refused.
    expect(overTcp.body.tcp.readOnly).toBe(true);
    const launch = await tcpRequest(
      "POST",
      "/api/v1/sessions",
      { host: `127.0.0.1:${port}` },
      { projectRoot: "/tmp", harness: "codex", prompt: "x" },
    );
    expect(launch.status).toBe(403);
    expect(launch.body.error.code).toBe("forbidden");
  });

  it("refuses a foreign Host (DNS rebinding) with 403 forbidden", async () => {
    const response = await tcpRequest("GET", "/api/v1/health", { host: "evil.example" });
    expect(response.status).toBe(403);
    expect(response.body.error).toMatchObject({ code: "forbidden", details: { host: "evil.example" } });
  });

  it("refuses a foreign Origin with 403 forbidden", async () => {
    const response = await tcpRequest("GET", "/api/v1/sessions", {
      host: `127.0.0.1:${port}`,
      origin: "http://evil.example",
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe("forbidden");
  });

  it("refuses owner-only features (every mutation) over TCP, while the socket still allows them", async () => {
    const response = await tcpRequest(
      "POST",
      "/api/v1/sessions/external",
      { host: `127.0.0.1:${port}` },
      { id: "tcp-ext", projectRoot: "/tmp", harness: "codex" },
    );
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe("forbidden");
    const action = await tcpRequest(
      "POST",
      "/api/v1/actions",
      { host: `127.0.0.1:${port}` },
      { action: "coven.capabilities.refresh" },
    );
    expect(action.status).toBe(403);
  });
});

describe("binding", () => {
  it.each(["0.0.0.0:7420", "192.168.1.10:7420", "example.com:7420", "127.0.0.1:99999", "nonsense"])(
    "refuses --tcp %s",
    (spec) => {
      const home = path.join(tempDir(), "home");
      const result = spawnSync(process.execPath, [COVEN_BIN, "daemon", "serve", "--tcp", spec], {
        env: { ...process.env, COVEN_HOME: home },
        encoding: "utf8",
        timeout: 10_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/loopback/);
    },
  );
});
