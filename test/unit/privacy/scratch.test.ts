import { it } from "vitest";
import { Redactor } from "../../../server/privacy/redactor.js";
import { StreamRedactor } from "../../../server/privacy/stream-redactor.js";
import { BUILTIN_PATTERNS } from "../../../server/privacy/patterns.js";
const r = new Redactor();
const N = 200_000;
const hostile: Record<string, string> = {
  prose: "The quick brown fox jumps over the lazy dog, token count 42. ".repeat(N / 60),
  aaaa: "a".repeat(N),
  alnumRun: "aB3".repeat(N / 3),
  skRun: "sk-".repeat(N / 3),
  eyJ: "eyJ".repeat(N / 3),
  eyJdots: "eyJaaaaa.".repeat(N / 9),
  bearer: "Bearer ".repeat(N / 7),
  bearerLong: "Bearer " + "a".repeat(N),
  pwd: "password".repeat(N / 8),
  pwdSep: "password= ".repeat(N / 10),
  pwdQuote: 'password="'.repeat(N / 10),
  spaces: "password" + " ".repeat(N) + "x",
  begin: "-----BEGIN RSA PRIVATE KEY-----\n".repeat(N / 32),
  beginBody: "-----BEGIN RSA PRIVATE KEY-----" + "\nAAAA".repeat(N / 5),
  beginWords: "-----BEGIN " + "A ".repeat(N / 2),
  url: "https://".repeat(N / 8),
  urlUser: "https://a:" + "b:".repeat(N / 2),
  scheme: "a+.-".repeat(N / 4),
  esc: "\x1b[".repeat(N / 2),
  escParams: "\x1b[" + "1;".repeat(N / 2),
  akia: "AKIA".repeat(N / 4),
  ghp: "ghp_".repeat(N / 4),
  colons: "token:".repeat(N / 6),
  digits: "1".repeat(N),
  newlines: "\n".repeat(N),
};
it("timing", () => {
  for (const [name, text] of Object.entries(hostile)) {
    let t = performance.now();
    r.redact(text);
    const redactMs = performance.now() - t;
    t = performance.now();
    const s = new StreamRedactor(r);
    for (let i = 0; i < text.length; i += 1000) s.push(text.slice(i, i + 1000));
    s.flush();
    const streamMs = performance.now() - t;
    const per: string[] = [];
    for (const p of BUILTIN_PATTERNS) {
      const re = new RegExp(p.regex.source, p.regex.flags);
      const t0 = performance.now(); text.replace(re, ""); const d = performance.now() - t0;
      if (d > 20) per.push(`${p.name}:${d.toFixed(0)}`);
      if (p.unfinished) { const t1 = performance.now(); p.unfinished.exec(text.slice(-4096)); const d1 = performance.now() - t1; if (d1 > 5) per.push(`unf-${p.name}:${d1.toFixed(0)}`); }
    }
    console.log(name.padEnd(12), redactMs.toFixed(1).padStart(8), streamMs.toFixed(1).padStart(8), per.join(" "));
  }
});
