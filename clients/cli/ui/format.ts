/**
 * Human output: colour only on a terminal and never with NO_COLOR, aligned tables, relative times, short ids.
 * No dependencies, so every command can load it without slowing startup.
 */

export interface Palette {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

/** https://no-color.org: any non-empty NO_COLOR turns colour off; so does a stream that is not a terminal. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";
}

const sgr = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

export function palette(enabled: boolean): Palette {
  if (!enabled) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

/** Colours a session status the same way everywhere. */
export function paintStatus(status: string, colors: Palette): string {
  if (status === "running" || status === "idle") return colors.green(status);
  if (status === "created") return colors.cyan(status);
  if (status === "failed") return colors.red(status);
  if (status === "killed" || status === "orphaned") return colors.yellow(status);
  return status;
}

/** "just now", "42s ago", "5m ago", "3h ago", "6d ago"; a date beyond a month; "in …" for the future. */
export function relativeTime(iso: string, now = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  const ahead = seconds < 0;
  const span = Math.abs(seconds);
  if (span < 5) return "just now";
  const units: [number, string][] = [
    [60, "s"],
    [60, "m"],
    [24, "h"],
    [31, "d"],
  ];
  let value = span;
  for (const [size, unit] of units) {
    if (value < size) return ahead ? `in ${value}${unit}` : `${value}${unit} ago`;
    value = Math.floor(value / size);
  }
  return iso.slice(0, 10);
}

/** A local "YYYY-MM-DD HH:MM:SS" for one timestamp plus its relative form. */
export function whenText(iso: string, now = Date.now()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (value: number) => String(value).padStart(2, "0");
  const local =
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${local} (${relativeTime(iso, now)})`;
}

/** The shortest prefixes (at least `min` characters) that tell the given ids apart from each other. */
export function shortIds(ids: readonly string[], min = 8): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const result = new Map<string, string>();
  sorted.forEach((id, index) => {
    let length = min;
    for (const neighbour of [sorted[index - 1], sorted[index + 1]]) {
      if (neighbour === undefined) continue;
      let common = 0;
      while (common < id.length && id[common] === neighbour[common]) common += 1;
      length = Math.max(length, common + 1);
    }
    result.set(id, id.slice(0, Math.min(length, id.length)));
  });
  return result;
}

/** Control characters (a title may carry escape sequences or newlines) shown as spaces, never obeyed. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, " ");
}

/** Shortens `text` to `width` columns with an ellipsis. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

export interface Column {
  header: string;
  /** Shrunk (with an ellipsis) to fit the terminal width; at most one column should say so. */
  flexible?: boolean;
}

/**
 * An aligned table. Cells are plain text; `paint` may colour a cell after its width was measured, so colour
 * codes never break the alignment. On a terminal, the flexible column is cut to fit `maxWidth`.
 */
export function renderTable(
  columns: Column[],
  rows: string[][],
  options: {
    colors: Palette;
    maxWidth?: number | undefined;
    paint?: (column: number, text: string, row: number) => string;
  },
): string {
  const gap = "  ";
  rows = rows.map((cells) => cells.map(printable));
  const widths = columns.map((column, index) =>
    Math.max(column.header.length, ...rows.map((cells) => (cells[index] ?? "").length)),
  );
  const flexible = columns.findIndex((column) => column.flexible);
  if (options.maxWidth !== undefined && flexible >= 0) {
    const fixed = widths.reduce((sum, width, index) => (index === flexible ? sum : sum + width), 0);
    const room = options.maxWidth - fixed - gap.length * (columns.length - 1);
    widths[flexible] = Math.max(
      Math.min(widths[flexible]!, room),
      Math.min(columns[flexible]!.header.length, 8),
    );
  }
  const line = (cells: string[], row: number) =>
    cells
      .map((cell, index) => {
        const text = truncate(cell, widths[index]!);
        const padded = index === cells.length - 1 ? text : text.padEnd(widths[index]!);
        if (row < 0) return options.colors.bold(padded);
        return options.paint ? options.paint(index, text, row) + padded.slice(text.length) : padded;
      })
      .join(gap)
      .trimEnd();
  return [
    line(
      columns.map((column) => column.header),
      -1,
    ),
    ...rows.map((cells, row) => line(cells, row)),
  ].join("\n");
}
