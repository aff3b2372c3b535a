import { assertEquals } from "../../testing/assert.ts";
import { tempDir } from "../../testing/helpers.ts";
import { DenoFileSystem } from "../base/fs.ts";
import { RESERVED_DIR, SETTINGS_FILE } from "../base/layout.ts";
import { parseKeepVersions } from "../engine/versions.ts";
import { DEFAULT_SETTINGS, loadSettings, type PassSettings, saveSettings } from "./settings.ts";

const real = new DenoFileSystem();

/** A destination with its reserved folder; returns the settings file's path. */
function prepare(dest: string): string {
  Deno.mkdirSync(`${dest}/${RESERVED_DIR}`, { recursive: true });
  return `${dest}/${RESERVED_DIR}/${SETTINGS_FILE}`;
}

const custom: PassSettings = {
  excludes: ["*.tmp", "!keep.tmp", "build/"],
  deleteExcluded: true,
  modeMask: 0o7777,
  deleteLimits: { maxCount: 5, maxShare: 0.1 },
  keepVersions: parseKeepVersions("30d"),
};

Deno.test("saveSettings then loadSettings gives back every setting, recorded", async () => {
  await using tmp = await tempDir();
  const file = prepare(tmp.path);
  saveSettings(real, tmp.path, custom);
  assertEquals(loadSettings(real, tmp.path), { recorded: true, ...custom });
  assertEquals(Deno.statSync(file).mode! & 0o777, 0o600);
  const stored = JSON.parse(Deno.readTextFileSync(file));
  assertEquals(stored.v, 1);
  assertEquals(stored.keepVersions, "30d", "the rule is kept as the user wrote it");
  assertEquals(Number.isNaN(Date.parse(stored.saved)), false);
  const none = { ...custom, keepVersions: null };
  saveSettings(real, tmp.path, none);
  assertEquals(loadSettings(real, tmp.path), { recorded: true, ...none }, "overwritten");
  assertEquals([...Deno.readDirSync(`${tmp.path}/${RESERVED_DIR}`)].length, 1, "no temp left");
});

Deno.test("loadSettings without a settings file gives the defaults, not recorded", async () => {
  await using tmp = await tempDir();
  prepare(tmp.path);
  assertEquals(loadSettings(real, tmp.path), { recorded: false, ...DEFAULT_SETTINGS });
  assertEquals(loadSettings(real, `${tmp.path}/missing`).recorded, false);
  assertEquals(DEFAULT_SETTINGS, {
    excludes: [],
    deleteExcluded: false,
    modeMask: 0o1777,
    deleteLimits: { maxCount: 100, maxShare: 0.5 },
    keepVersions: null,
  });
});

Deno.test("loadSettings falls back to the defaults for a damaged or unknown settings file", async () => {
  await using tmp = await tempDir();
  const file = prepare(tmp.path);
  saveSettings(real, tmp.path, custom);
  const good = JSON.parse(Deno.readTextFileSync(file));
  const variants: [string, string][] = [
    ["torn JSON", Deno.readTextFileSync(file).slice(0, 40)],
    ["another version", JSON.stringify({ ...good, v: 2 })],
    ["excludes not a list", JSON.stringify({ ...good, excludes: "*.tmp" })],
    ["an exclude not a string", JSON.stringify({ ...good, excludes: ["a", 1] })],
    ["deleteExcluded not a boolean", JSON.stringify({ ...good, deleteExcluded: "yes" })],
    ["modeMask missing", JSON.stringify({ ...good, modeMask: undefined })],
    ["limits missing", JSON.stringify({ ...good, deleteLimits: undefined })],
    ["maxShare not a number", JSON.stringify({ ...good, deleteLimits: { maxCount: 1 } })],
    ["not an object", "null"],
  ];
  for (const [what, text] of variants) {
    Deno.writeTextFileSync(file, text);
    assertEquals(loadSettings(real, tmp.path), { recorded: false, ...DEFAULT_SETTINGS }, what);
  }
});

Deno.test("loadSettings reads a file without a usable keep-versions rule as versions off", async () => {
  await using tmp = await tempDir();
  const file = prepare(tmp.path);
  saveSettings(real, tmp.path, custom);
  const good = JSON.parse(Deno.readTextFileSync(file));
  for (const keepVersions of [undefined, "forever", 30]) {
    Deno.writeTextFileSync(file, JSON.stringify({ ...good, keepVersions }));
    assertEquals(
      loadSettings(real, tmp.path),
      { recorded: true, ...custom, keepVersions: null },
      String(keepVersions),
    );
  }
});
