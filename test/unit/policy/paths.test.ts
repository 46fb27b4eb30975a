import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CovenError } from "../../../server/errors.js";
import { canonicalProjectRoot, isPathInside, resolveCwdInsideRoot } from "../../../server/policy/paths.js";

let tmp: string;
let repo: string;

beforeEach(() => {
  tmp = fs.realpathSync.native(fs.mkdtempSync(path.join(os.tmpdir(), "coven-policy-")));
  repo = path.join(tmp, "repo");
  fs.mkdirSync(path.join(repo, "src", "deep"), { recursive: true });
  fs.writeFileSync(path.join(repo, "README.md"), "hi\n");
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function refusal(fn: () => unknown): CovenError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CovenError);
    const covenError = error as CovenError;
    expect(covenError.code).toBe("invalid_request");
    expect(covenError.status).toBe(400);
    return covenError;
  }
  throw new Error("expected a refusal");
}

describe("canonicalProjectRoot", () => {
  it("accepts a canonical existing directory and returns it", () => {
    expect(canonicalProjectRoot(repo)).toBe(repo);
    expect(canonicalProjectRoot("/")).toBe("/");
  });

  it("refuses a relative root", () => {
    for (const root of ["repo", "./repo", "", "~/repo"]) {
      const error = refusal(() => canonicalProjectRoot(root));
      expect(error.details).toEqual({ field: "projectRoot", projectRoot: root, reason: "not_absolute" });
      expect(error.message).toMatch(/absolute/);
    }
  });

  it("refuses a missing root", () => {
    const missing = path.join(tmp, "missing");
    expect(refusal(() => canonicalProjectRoot(missing)).details).toEqual({
      field: "projectRoot",
      projectRoot: missing,
      reason: "not_found",
    });
    const underFile = path.join(repo, "README.md", "x");
    expect(refusal(() => canonicalProjectRoot(underFile)).details?.reason).toBe("not_found");
  });

  it("refuses a file as root", () => {
    const file = path.join(repo, "README.md");
    const error = refusal(() => canonicalProjectRoot(file));
    expect(error.details).toEqual({ field: "projectRoot", projectRoot: file, reason: "not_directory" });
  });

  it("refuses a root reached through a symlink, naming the canonical form", () => {
    const link = path.join(tmp, "link");
    fs.symlinkSync(repo, link);
    const error = refusal(() => canonicalProjectRoot(link));
    expect(error.details).toEqual({
      field: "projectRoot",
      projectRoot: link,
      reason: "not_canonical",
      canonical: repo,
    });
    expect(error.message).toContain(repo);
    const viaLinkedParent = path.join(tmp, "parentlink");
    fs.symlinkSync(tmp, viaLinkedParent);
    expect(refusal(() => canonicalProjectRoot(path.join(viaLinkedParent, "repo"))).details).toMatchObject({
      reason: "not_canonical",
      canonical: repo,
    });
  });

  it("refuses a trailing slash and non-normalized spellings", () => {
    for (const root of [`${repo}/`, `${repo}/.`, `${repo}/src/..`, repo.replace(/\//g, "//")]) {
      expect(refusal(() => canonicalProjectRoot(root)).details).toEqual({
        field: "projectRoot",
        projectRoot: root,
        reason: "not_canonical",
        canonical: repo,
      });
    }
  });

  it("refuses NUL bytes", () => {
    expect(refusal(() => canonicalProjectRoot(`${repo}\0x`)).details?.field).toBe("projectRoot");
  });
});

describe("resolveCwdInsideRoot", () => {
  it("defaults to the root", () => {
    expect(resolveCwdInsideRoot(repo)).toBe(repo);
    expect(resolveCwdInsideRoot(repo, undefined)).toBe(repo);
    expect(resolveCwdInsideRoot(repo, null)).toBe(repo);
  });

  it("accepts a nested cwd, absolute or relative to the root", () => {
    const deep = path.join(repo, "src", "deep");
    expect(resolveCwdInsideRoot(repo, deep)).toBe(deep);
    expect(resolveCwdInsideRoot(repo, "src/deep")).toBe(deep);
    expect(resolveCwdInsideRoot(repo, "./src/deep/")).toBe(deep);
    expect(resolveCwdInsideRoot(repo, "src/deep/..")).toBe(path.join(repo, "src"));
    expect(resolveCwdInsideRoot(repo, ".")).toBe(repo);
    expect(resolveCwdInsideRoot(repo, `${repo}/`)).toBe(repo);
  });

  it("accepts and canonicalizes a symlink that stays inside the root", () => {
    fs.symlinkSync(path.join(repo, "src", "deep"), path.join(repo, "shortcut"));
    expect(resolveCwdInsideRoot(repo, "shortcut")).toBe(path.join(repo, "src", "deep"));
  });

  it("refuses ../ escapes", () => {
    for (const cwd of ["..", "../", "src/../../", `${repo}/..`, "/"]) {
      expect(refusal(() => resolveCwdInsideRoot(repo, cwd)).details).toEqual({
        field: "cwd",
        cwd,
        reason: "outside_root",
      });
    }
  });

  it("refuses an escape to a missing directory as outside_root", () => {
    expect(refusal(() => resolveCwdInsideRoot(repo, "../nowhere")).details?.reason).toBe("outside_root");
  });

  it("refuses a symlink inside the root that points outside", () => {
    const outside = path.join(tmp, "outside");
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(repo, "escape"));
    fs.symlinkSync("../../outside", path.join(repo, "src", "relescape"));
    for (const cwd of ["escape", path.join(repo, "escape"), "src/relescape"]) {
      const error = refusal(() => resolveCwdInsideRoot(repo, cwd));
      expect(error.details).toEqual({ field: "cwd", cwd, reason: "outside_root" });
      expect(error.message).toContain(outside);
    }
  });

  it("does not treat a sibling with the root as a prefix (/repo2 vs /repo) as inside", () => {
    const repo2 = path.join(tmp, "repo2");
    fs.mkdirSync(repo2);
    for (const cwd of [repo2, "../repo2"]) {
      expect(refusal(() => resolveCwdInsideRoot(repo, cwd)).details).toEqual({
        field: "cwd",
        cwd,
        reason: "outside_root",
      });
    }
    expect(isPathInside("/repo", "/repo2")).toBe(false);
    expect(isPathInside("/repo", "/repo/x")).toBe(true);
    expect(isPathInside("/repo", "/repo")).toBe(true);
    expect(isPathInside("/", "/anything")).toBe(true);
  });

  it("refuses a missing cwd and a file cwd", () => {
    expect(refusal(() => resolveCwdInsideRoot(repo, "nope")).details).toEqual({
      field: "cwd",
      cwd: "nope",
      reason: "not_found",
    });
    fs.symlinkSync(path.join(repo, "gone"), path.join(repo, "dangling"));
    expect(refusal(() => resolveCwdInsideRoot(repo, "dangling")).details?.reason).toBe("not_found");
    expect(refusal(() => resolveCwdInsideRoot(repo, "README.md")).details).toEqual({
      field: "cwd",
      cwd: "README.md",
      reason: "not_directory",
    });
    expect(refusal(() => resolveCwdInsideRoot(repo, "a\0b")).details?.field).toBe("cwd");
  });

  it("re-checks the root itself", () => {
    expect(refusal(() => resolveCwdInsideRoot(`${repo}/`, "src")).details).toMatchObject({
      field: "projectRoot",
      reason: "not_canonical",
    });
  });
});
