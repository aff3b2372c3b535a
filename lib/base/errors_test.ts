import { assertEquals, assertIncludes } from "../../testing/assert.ts";
import { EXIT, exitFor, UsageError } from "./errors.ts";

Deno.test("exitFor(): a full or read-only disk is exit 4 naming the file, not an internal error", () => {
  const full = Object.assign(
    new Error("No space left on device (os error 28): write '/mnt/usb/.backup/lock'"),
    { code: "ENOSPC" },
  );
  const ro = new Error(
    "Read-only file system (os error 30): open '/mnt/usb/.backup/settings.json'",
  );
  for (const [err, file] of [[full, "/mnt/usb/.backup/lock"], [ro, "settings.json"]] as const) {
    const { code, message } = exitFor(err);
    assertEquals(code, EXIT.JOURNAL_IO);
    assertIncludes(message, file);
    assertIncludes(message, "start again");
    assertEquals(message.includes("internal error"), false);
  }
  assertEquals(exitFor(new Error("boom")).code, EXIT.INTERNAL);
  assertEquals(exitFor(new UsageError("bad flag")), { code: EXIT.USAGE, message: "bad flag" });
});
