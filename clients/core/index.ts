export * from "./client.js";
export * from "./errors.js";
export type { FollowOptions } from "./event-stream.js";
export * from "./home.js";
export { type CovenTrpcClient, createSocketTrpcClient, createSocketTrpcConnection } from "./trpc-client.js";
