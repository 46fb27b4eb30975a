import { Agent, request } from "undici";
import { assertDocumentedResponse } from "./openapi-validator.js";

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A REST client over the daemon's Unix socket. Every JSON response is validated against the committed
 * OpenAPI document, so a body the document does not describe fails the test that received it.
 */
export class RestClient {
  private readonly agent: Agent;

  constructor(readonly socketPath: string) {
    this.agent = new Agent({ connect: { socketPath } });
  }

  async call<T = unknown>(
    method: string,
    path: string,
    options: { json?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] ??= "application/json";
    } else if (options.raw !== undefined) {
      body = options.raw;
      headers["content-type"] ??= "application/json";
    }
    const response = await request(`http://localhost${path}`, {
      method: method as "GET",
      headers,
      body,
      dispatcher: this.agent,
    });
    const text = await response.body.text();
    const parsed = text.length > 0 ? JSON.parse(text) : undefined;
    assertDocumentedResponse(method, path, response.statusCode, parsed);
    return { status: response.statusCode, body: parsed as T, text, headers: response.headers };
  }

  get<T = unknown>(path: string) {
    return this.call<T>("GET", path);
  }

  post<T = unknown>(path: string, json?: unknown) {
    return this.call<T>("POST", path, json === undefined ? {} : { json });
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
