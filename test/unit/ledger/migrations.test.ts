import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { DatabaseOpenError } from "../../../server/ledger/database.js";
import { Ledger } from "../../../server/ledger/ledger.js";
import { LATEST_SCHEMA_VERSION, SchemaTooNewError } from "../../../server/ledger/migrations.js";
import { REPO_ROOT, tempDir } from "../../helpers/daemon.js";

/** Made by `scripts/make-ledger-fixture.ts` with migration 1 only; never opened in place. */
const V1_FIXTURE = path.join(REPO_ROOT, "test/fixtures/ledger-v1.sqlite3");

const open: Ledger[] = [];
afterEach(async () => {
  for (const ledger of open.splice(0)) await ledger.close();
});

function copyFixture(): string {
  const file = path.join(tempDir(), "coven.sqlite3");
  fs.copyFileSync(V1_FIXTURE, file);
  return file;
}

function snapshot(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma("user_version", { simple: true }) as number,
      sessions: db.prepare("SELECT * FROM sessions ORDER BY id").all(),
      events: db.prepare("SELECT * FROM events ORDER BY seq").all(),
      sequence: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get(),
      tables: (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
          name: string;
        }[]
      ).map((row) => row.name),
    };
  } finally {
    db.close();
  }
}

function siblings(file: string): string[] {
  return fs.readdirSync(path.dirname(file)).sort();
}

describe("opening an older ledger", () => {
  it("keeps the committed v1 fixture at schema 1", () => {
    const fixture = snapshot(copyFixture());
    expect(fixture.version).toBe(1);
    expect(fixture.tables).not.toContain("daemon_state");
    expect(fixture.sessions).toHaveLength(5);
    expect(fixture.events).toHaveLength(10);
  });

  it("backs the v1 fixture up beside it (0600), then migrates it with every row intact", async () => {
    const file = copyFixture();
    const before = snapshot(file);
    const ledger = await Ledger.open(file);
    open.push(ledger);

    expect(ledger.migration.from).toBe(1);
    expect(ledger.migration.to).toBe(LATEST_SCHEMA_VERSION);
    const backup = ledger.migration.backupPath!;
    expect(path.dirname(backup)).toBe(path.dirname(file));
    expect(path.basename(backup)).toMatch(/^coven\.sqlite3\.backup-v1-\d{8}T\d{6}Z$/);
    expect(fs.statSync(backup).mode & 0o777).toBe(0o600);
    // The backup is the v1 database as it was.
    expect(snapshot(backup)).toEqual(before);

    expect(ledger.db.pragma("user_version", { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(ledger.state.get("last_prune_at")).toBeNull();
    const after = snapshot(file);
    expect(after.tables).toContain("daemon_state");
    expect(after.sessions).toEqual(before.sessions);
    expect(after.events).toEqual(before.events);

    // seq continues after the fixture's events, never reusing one.
    const next = await ledger.writer.append("fixture-completed", "input", { data: "again" });
    expect(next.seq).toBeGreaterThan(
      Math.max(...before.events.map((event) => (event as { seq: number }).seq)),
    );
  });

  it("takes no second backup when the ledger is already current, and none for a new ledger", async () => {
    const file = copyFixture();
    open.push(await Ledger.open(file));
    await open.pop()!.close();
    const reopened = await Ledger.open(file);
    open.push(reopened);
    expect(reopened.migration).toEqual({
      from: LATEST_SCHEMA_VERSION,
      to: LATEST_SCHEMA_VERSION,
      backupPath: null,
    });
    expect(siblings(file).filter((name) => name.includes("backup"))).toHaveLength(1);

    const fresh = await Ledger.open(path.join(tempDir(), "coven.sqlite3"));
    open.push(fresh);
    expect(fresh.migration).toEqual({ from: 0, to: LATEST_SCHEMA_VERSION, backupPath: null });
    expect(siblings(fresh.path).filter((name) => name.includes("backup"))).toEqual([]);
  });
});

describe("databases that are refused", () => {
  it("refuses a newer schema and leaves the file byte for byte as it was", async () => {
    const file = copyFixture();
    const db = new Database(file);
    db.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 1}`);
    db.close();
    const bytes = fs.readFileSync(file);
    const files = siblings(file);

    const error = await Ledger.open(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaTooNewError);
    expect((error as Error).message).toContain(file);
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(siblings(file)).toEqual(files);
  });

  it("refuses a corrupt file with its path and the next step, and never writes to it", async () => {
    const file = path.join(tempDir(), "coven.sqlite3");
    const garbage = randomBytes(64 * 1024);
    garbage.write("definitely not SQLite", 0);
    fs.writeFileSync(file, garbage, { mode: 0o600 });

    const error = await Ledger.open(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toMatch(/not modified.*Move it aside/s);
    expect(fs.readFileSync(file).equals(garbage)).toBe(true);
    expect(siblings(file)).toEqual(["coven.sqlite3"]);
  });
});
