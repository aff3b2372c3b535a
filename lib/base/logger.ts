/**
 * The logger every layer is handed: LogTape's {@link Logger} type, named here
 * so that the journal, the destination and the engine depend on the base layer
 * only. Where records go (file, console, JSON lines) is set up once by
 * `lib/report/log.ts`.
 *
 * @module
 */

export type { Logger, LogLevel } from "@logtape/logtape";
