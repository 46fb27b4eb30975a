import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS } from "../server/ledger/migrations.js";
import { packageRoot } from "../server/package-root.js";

/**
 * Builds `test/fixtures/ledger-v1.sqlite3`: a ledger as a schema-1 daemon left it (WAL mode, migration 1 only,
 * `user_version = 1`), with a few sessions and events, including a session that was still running when that
 * daemon died. The tests copy it and check that opening it migrates to the latest schema with a backup beside
 * it and every row intact. Deterministic: fixed ids and timestamps.
 *
 *   npm run build && node dist/scripts/make-ledger-fixture.js [output-file]
 *
 * Never regenerate it with a newer migration: the point of the file is to be what the old build wrote.
 */
const SCHEMA_VERSION = 1;
const output = path.resolve(process.argv[2] ?? path.join(packageRoot(), "test/fixtures/ledger-v1.sqlite3"));

interface FixtureSession {
  id: string;
  harness: string;
  title: string;
  status: string;
  exit_code: number | null;
  archived_at: string | null;
  created_at: string;
  external: number;
  pid: number | null;
  events: [kind: string, payload: Record<string, unknown>][];
}

const root = "/home/fixture/project";
const sessions: FixtureSession[] = [
  {
    id: "fixture-completed",
    harness: "codex",
    title: "Fix the tests",
    status: "completed",
    exit_code: 0,
    archived_at: null,
    created_at: "2025-01-10T10:00:00.000Z",
    external: 0,
    pid: 41001,
    events: [
      ["launch", { harness: "codex", cwd: root, pid: 41001 }],
      ["output", { data: "hello from codex\r\n" }],
      ["input", { data: "run the tests\r" }],
      ["output", { data: "all tests pass\r\n" }],
      ["exit", { status: "completed", exitCode: 0 }],
    ],
  },
  {
    id: "fixture-archived-failed",
    harness: "claude",
    title: "An archived failure",
    status: "failed",
    exit_code: 7,
    archived_at: "2025-01-11T09:00:00.000Z",
    created_at: "2025-01-10T11:00:00.000Z",
    external: 0,
    pid: 41002,
    events: [
      ["launch", { harness: "claude", cwd: root, pid: 41002 }],
      ["output", { data: "about to fail\r\n" }],
      ["exit", { status: "failed", exitCode: 7 }],
    ],
  },
  {
    // Left `running` by a daemon that died: recovery must make it `orphaned`, never live.
    id: "fixture-running",
    harness: "codex",
    title: "Still running when the daemon died",
    status: "running",
    exit_code: null,
    archived_at: null,
    created_at: "2025-01-10T12:00:00.000Z",
    external: 0,
    pid: 41003,
    events: [
      ["launch", { harness: "codex", cwd: root, pid: 41003 }],
      ["output", { data: "working…\r\n" }],
    ],
  },
  {
    // Inserted, but the daemon died before the harness started: recovery makes it `failed`.
    id: "fixture-created",
    harness: "copilot",
    title: "Never launched",
    status: "created",
    exit_code: null,
    archived_at: null,
    created_at: "2025-01-10T13:00:00.000Z",
    external: 0,
    pid: null,
    events: [],
  },
  {
    // Run elsewhere and registered: recovery leaves it alone.
    id: "fixture-external",
    harness: "codex",
    title: "Registered from outside",
    status: "running",
    exit_code: null,
    archived_at: null,
    created_at: "2025-01-10T14:00:00.000Z",
    external: 1,
    pid: null,
    events: [],
  },
];

for (const suffix of ["", "-wal", "-shm"]) fs.rmSync(output + suffix, { force: true });
fs.mkdirSync(path.dirname(output), { recursive: true });
const db = new Database(output);
db.pragma("journal_mode = WAL");
db.pragma("foreign_keys = ON");
const migration = MIGRATIONS.find((candidate) => candidate.version === SCHEMA_VERSION);
if (!migration) throw new Error(`migration ${SCHEMA_VERSION} is missing`);
db.transaction(() => {
  db.exec(migration.sql);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
})();

const insertSession = db.prepare(
  `INSERT INTO sessions (id, project_root, cwd, harness, title, status, exit_code, archived_at, created_at,
     updated_at, labels, visibility, external, launch_mode, pid)
   VALUES (@id, @root, @root, @harness, @title, @status, @exit_code, @archived_at, @created_at, @updated_at,
     '[]', 'private', @external, @launch_mode, @pid)`,
);
const insertEvent = db.prepare(
  "INSERT INTO events (id, session_id, kind, payload_json, created_at) VALUES (?, ?, ?, ?, ?)",
);
let eventNumber = 0;
db.transaction(() => {
  for (const session of sessions) {
    const start = Date.parse(session.created_at);
    const stamp = (seconds: number) => new Date(start + seconds * 1000).toISOString();
    insertSession.run({
      ...session,
      root,
      updated_at: stamp(session.events.length),
      launch_mode: session.external ? null : "interactive",
    });
    session.events.forEach(([kind, payload], index) => {
      eventNumber += 1;
      const id = `00000000-0000-4000-8000-${String(eventNumber).padStart(12, "0")}`;
      insertEvent.run(id, session.id, kind, JSON.stringify(payload), stamp(index + 1));
    });
  }
})();
db.close();
fs.chmodSync(output, 0o644);
console.log(
  `wrote ${path.relative(process.cwd(), output)} (schema ${SCHEMA_VERSION}, ${sessions.length} sessions, ${eventNumber} events)`,
);
