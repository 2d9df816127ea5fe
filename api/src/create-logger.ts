import { format } from "node:util";
import type { Logger as BoltLogger, LogLevel as BoltLogLevel } from "@tally/slack-bot";
import { type Logger, pino } from "pino";
import pretty from "pino-pretty";

export type { Logger };

const INFO = 30; // pino's numeric level for info

/**
 * The process's one logger: JSON lines for a log collector, or pino-pretty when a person watches a terminal.
 * Both write synchronously, so a line logged just before `process.exit()` is never lost.
 */
export function createLogger(level: string, to: "stdout" | "stderr" = "stdout"): Logger {
  const options = { level, redact: ["req.headers.authorization", "req.headers.cookie"] };
  const fd = to === "stdout" ? 1 : 2;
  return process[to].isTTY
    ? pino(options, pretty({ colorize: true, sync: true, translateTime: "SYS:HH:MM:ss", destination: fd }))
    : pino(options, pino.destination({ fd, sync: true }));
}

/**
 * What an operator must see whatever LOG_LEVEL says (the listening address, the open doors, a bootstrap key shown
 * once, why start-up failed): at least `info`, even under `LOG_LEVEL=warn` or `silent`.
 */
export function startupLogger(logger: Logger): Logger {
  return logger.levelVal > INFO ? logger.child({}, { level: "info" }) : logger;
}

/** Bolt's logger interface over pino, so Slack's lines are JSON lines too. */
export function boltLogger(logger: Logger): BoltLogger {
  const line = (messages: unknown[]) => format(...messages);
  return {
    debug: (...m) => logger.debug(line(m)),
    info: (...m) => logger.info(line(m)),
    warn: (...m) => logger.warn(line(m)),
    error: (...m) => logger.error(line(m)),
    setLevel: () => {},
    getLevel: () => (logger.level === "silent" || logger.level === "fatal" ? "error" : logger.level) as BoltLogLevel,
    setName: () => {},
  };
}
