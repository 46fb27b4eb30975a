import { z } from "zod";

export const API_VERSION = "coven.daemon.v1" as const;
export const LEGACY_API_VERSION = "v1" as const;

/** ISO-8601 UTC timestamp with `Z`, as every record on the wire carries. */
export const Timestamp = z.iso.datetime().meta({ description: "ISO-8601 UTC timestamp ending in Z" });

/** Daemon-issued ids are URL-safe; validating before use keeps them out of paths and SQL untouched. */
export const IdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, "must be 1-128 URL-safe characters [A-Za-z0-9_-]");

export const OkAcceptedSchema = z
  .object({ ok: z.literal(true), accepted: z.literal(true) })
  .meta({ id: "OkAccepted" });
