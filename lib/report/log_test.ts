import { assertEquals } from "../../testing/assert.ts";
import type { LogRecord } from "@logtape/logtape";
import { fileFormatter, humanFormatter } from "./log.ts";

function record(message: unknown[], properties: Record<string, unknown>): LogRecord {
  return {
    category: ["backup", "daemon"],
    level: "info",
    message,
    rawMessage: "BACKUP STARTED: {source} -> {dest}, every {interval} s{once}",
    timestamp: Date.UTC(2026, 10, 22, 14, 32, 15),
    properties,
  };
}

Deno.test("fileFormatter(json): the message reads as the human line, values unquoted", () => {
  const properties = { source: "/home/ana", dest: "/mnt/usb", interval: 60, once: " (one pass)" };
  const r = record(
    ["BACKUP STARTED: ", "/home/ana", " -> ", "/mnt/usb", ", every ", 60, " s", " (one pass)", ""],
    properties,
  );
  const line = fileFormatter(true)(r);
  assertEquals(line.endsWith("\n") && line.trimEnd().split("\n").length, 1, line);
  const parsed = JSON.parse(line);
  const human = "BACKUP STARTED: /home/ana -> /mnt/usb, every 60 s (one pass)";
  assertEquals(parsed.message, human);
  assertEquals(humanFormatter(r).endsWith(`] ${human}\n`), true);
  assertEquals([parsed.level, parsed.logger, parsed.properties], [
    "INFO",
    "backup.daemon",
    properties,
  ]);
  assertEquals(parsed["@timestamp"], "2026-11-22T14:32:15.000Z");
  // An empty value adds nothing; a control character is shown escaped, as in the human line.
  const plain = record(["every ", 60, " s", "", ""], { once: "" });
  assertEquals(JSON.parse(fileFormatter(true)(plain)).message, "every 60 s");
  const odd = record(["FILE CREATED: ", "a\nb.txt", ""], {});
  assertEquals(JSON.parse(fileFormatter(true)(odd)).message, `FILE CREATED: "a\\nb.txt"`);
});
