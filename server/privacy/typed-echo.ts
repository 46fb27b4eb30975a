import { NOT_IN_ESCAPE, redactionMarker } from "./patterns.js";

/** A secret found in what was typed into a session: its pattern's name and its raw value. */
export interface TypedSecret {
  readonly name: string;
  readonly value: string;
}

/**
 * The shortest beginning of a typed secret that is masked where output echoes it. Shorter runs are too common to
 * mask, and what a pattern starts from (`AKI`, `ghp`) is let out while typed anyway.
 */
const MIN_ECHOED_PREFIX = 3;

const REGEXP_SYNTAX = /[.*+?^${}()|[\]\\/-]/g;

/**
 * Replaces in `text` every echo of a typed secret's beginning: a harness that repaints its whole input line on
 * each keystroke prints `AKIAIO`, then `AKIAIOS`, and so on, each a complete word that no pattern matches. Each
 * run of at least MIN_ECHOED_PREFIX characters that a secret starts with (the longest such run, outside escape
 * sequences) becomes that secret's marker.
 */
export function maskTypedEchoes(text: string, secrets: readonly TypedSecret[]): string {
  let out = text;
  for (const { name, value } of secrets) {
    if (value.length < MIN_ECHOED_PREFIX) continue;
    const head = value.slice(0, MIN_ECHOED_PREFIX);
    const finder = new RegExp(NOT_IN_ESCAPE + head.replace(REGEXP_SYNTAX, "\\$&"), "g");
    let masked = "";
    let copied = 0;
    for (let match = finder.exec(out); match !== null; match = finder.exec(out)) {
      let end = match.index + head.length;
      while (end - match.index < value.length && out[end] === value[end - match.index]) end++;
      masked += out.slice(copied, match.index) + redactionMarker(name);
      copied = end;
      finder.lastIndex = end;
    }
    out = masked + out.slice(copied);
  }
  return out;
}
