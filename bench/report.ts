/**
 * Markdown formatting of benchmark results.
 *
 * @module
 */

import type { Sample } from "./measure.ts";

/** What a benchmark reports. */
export interface Goal {
  /** Benchmark number. */
  id: string;
  /** The goal, in words. */
  goal: string;
  /** What was measured. */
  measured: string;
  /** Whether the goal was met. */
  met: boolean;
}

/** One benchmark's output. */
export interface Section {
  /** Benchmark number, for ordering ("2b" follows "2"). */
  id: string;
  /** Markdown, starting with its heading. */
  markdown: string;
  /** Goals it checks. */
  goals: Goal[];
  /** Raw data for results.json. */
  data: Record<string, unknown>;
}

/** A duration for people: `345 ms` below a second, `1.23 s` above. */
export function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** `median (min-max), n runs` of a sample. */
export function fmtSample(s: Sample): string {
  return `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})`;
}

/** A ratio with two decimals and an `x`. */
export function fmtRatio(r: number): string {
  return `${r.toFixed(2)}x`;
}

/** KiB as `238 MiB (249 MB)`. */
export function fmtKiB(kib: number): string {
  return `${(kib / 1024).toFixed(0)} MiB (${(kib * 1024 / 1e6).toFixed(0)} MB)`;
}

/** Escapes the characters that would break a table cell. */
function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** A markdown table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(" | ")} |`;
  return [line(headers), line(headers.map(() => "---")), ...rows.map(line)].join("\n");
}

/** The sample called `name`. @throws Error when there is none. */
export function pick(samples: readonly Sample[], name: string): Sample {
  const s = samples.find((x) => x.name === name);
  if (!s) throw new Error(`no sample named ${name}`);
  return s;
}

/** What a results page says above its sections. */
export interface ResultsHead {
  /** The page's heading. */
  title: string;
  /** How it was produced, one line in words. */
  produced: string;
  /** The machine's table rows. */
  env: readonly (readonly string[])[];
  /** A note under the machine table, if any. */
  note?: string | null;
}

/**
 * A results page in Markdown: heading, machine, every goal in one table (in the order of their
 * ids), then each section.
 */
export function resultsPage(head: ResultsHead, sections: readonly Section[]): string {
  const goals = sections.flatMap((s) => s.goals).sort((a, b) => a.id.localeCompare(b.id));
  return [
    `# ${head.title}`,
    "",
    head.produced,
    "",
    table(["Machine", ""], head.env),
    ...(head.note ? ["", `Note: ${head.note}`] : []),
    "",
    "## Goals",
    "",
    table(
      ["#", "Goal", "Measured", "Met"],
      goals.map((g) => [g.id, g.goal, g.measured, g.met ? "yes" : "**no**"]),
    ),
    ...sections.flatMap((s) => ["", s.markdown]),
    "",
  ].join("\n");
}
