// deno-lint-ignore-file no-console
/**
 * Entry point: parse argv, build dependencies, dispatch, map errors to exit
 * codes. The only module that prints to the console directly or exits.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { DenoFileSystem } from "./lib/fs.ts";
import {
  describeError,
  EXIT,
  JournalCorruptError,
  JournalIoError,
  LockedError,
  UsageError,
} from "./lib/errors.ts";
import { CATEGORY, closeLogging, logger, setupLogging } from "./lib/log.ts";
import type { ReconcilerLogs } from "./lib/reconciler.ts";
import { HELP as RUN_HELP, parseRunArgs, runBackup } from "./lib/commands/run.ts";
import { HELP as JOURNAL_HELP, parseJournalArgs, runJournal } from "./lib/commands/journal.ts";
import { HELP as STATUS_HELP, parseStatusArgs, runStatus } from "./lib/commands/status.ts";
import { HELP as RESTORE_HELP, parseRestoreArgs, runRestore } from "./lib/commands/restore.ts";

/** The program's version, from deno.json. */
export const VERSION: string = denoJson.version;

function wantsHelp(args: string[]): boolean {
  return args.includes("--help") || args.includes("-h");
}

function loggers(): ReconcilerLogs {
  return {
    op: logger(CATEGORY.op),
    pass: logger(CATEGORY.pass),
    daemon: logger(CATEGORY.daemon),
  };
}

/**
 * Standard output for the commands' `out`, in blocks of 64 kB: one
 * `console.log` per line costs ~3 us, which made `journal show` of a
 * million operations spend most of its time printing. Flushed when full, at
 * the end, and before an error is printed.
 */
const stdout = {
  text: "",
  encoder: new TextEncoder(),
  line(line: string): void {
    this.text += line + "\n";
    if (this.text.length >= 65536) this.flush();
  },
  flush(): void {
    const bytes = this.encoder.encode(this.text);
    this.text = "";
    let off = 0;
    while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
  },
};

async function main(args: string[]): Promise<number> {
  const fs = new DenoFileSystem();
  const cwd = Deno.cwd();
  const out = (line: string) => stdout.line(line);
  if (args[0] === "restore") {
    const rest = args.slice(1);
    if (wantsHelp(rest)) {
      console.log(RESTORE_HELP);
      return EXIT.OK;
    }
    return await runRestore(parseRestoreArgs(rest), { fs, cwd, out });
  }
  if (args[0] === "journal" || args[0] === "status") {
    const rest = args.slice(1);
    if (wantsHelp(rest)) {
      console.log(args[0] === "journal" ? JOURNAL_HELP : STATUS_HELP);
      return EXIT.OK;
    }
    if (args[0] === "status") return runStatus(parseStatusArgs(rest), { fs, cwd, out });
    const opts = parseJournalArgs(rest);
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    Deno.addSignalListener("SIGINT", onSignal);
    Deno.addSignalListener("SIGTERM", onSignal);
    try {
      return await runJournal(opts, {
        fs,
        cwd,
        out,
        logs: loggers(),
        signal: controller.signal,
        startLogging: (file) => setupLogging({ file, console: "normal", fs }),
      });
    } finally {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    }
  }
  if (wantsHelp(args)) {
    console.log(RUN_HELP);
    return EXIT.OK;
  }
  if (args.includes("--version") || args.includes("-V")) {
    console.log(`backup ${VERSION}`);
    return EXIT.OK;
  }
  const opts = parseRunArgs(args);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    if (++signals > 1) Deno.exit(130); // second Ctrl+C: the journal makes this safe
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    return await runBackup(opts, {
      fs,
      cwd,
      out,
      signal: controller.signal,
      logs: loggers(),
      startLogging: (file) =>
        setupLogging({
          file,
          json: opts.logJson,
          console: opts.console,
          fs,
        }),
    });
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

function exitCodeFor(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: EXIT.USAGE, message: err.message };
  if (err instanceof LockedError) return { code: EXIT.LOCKED, message: err.message };
  if (err instanceof JournalCorruptError) {
    return {
      code: EXIT.JOURNAL_CORRUPT,
      message: `${err.message}. Nothing was changed. To rebuild the state from a full reconcile ` +
        `(files that already match are not copied again), run the backup again with --rebuild-journal`,
    };
  }
  if (err instanceof JournalIoError) {
    return {
      code: EXIT.JOURNAL_IO,
      message: `${err.message}. Stopped so that nothing is applied without a durable journal; ` +
        `fix the disk and start again (the journal is replayed)`,
    };
  }
  return {
    code: EXIT.INTERNAL,
    message: `internal error: ${describeError(err)} (set BACKUP_DEBUG=1 for details)`,
  };
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
    stdout.flush();
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) {
      code = EXIT.OK; // the reader went away (`... | head`): stop quietly
    } else {
      try {
        stdout.flush();
      } catch { /* stdout gone too */ }
      const { code: c, message } = exitCodeFor(err);
      code = c;
      console.error(`backup: ${message}`);
      if (Deno.env.get("BACKUP_DEBUG")) console.error(err);
    }
  }
  await closeLogging();
  Deno.exit(code);
}
