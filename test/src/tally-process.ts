import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface TallyProcessOptions {
  cwd?: string;
  /** Run this instead of `node <entry>` (e.g. `corepack pnpm start`). */
  command?: string[];
  /** Flags for node itself, before the entry (e.g. `--cpu-prof`, which node refuses in NODE_OPTIONS). */
  nodeArgs?: string[];
  /** Told what the process has said so far, each time it says more (to act before it is ready). */
  onOutput?: (output: string) => void;
}

export interface TallyProcess {
  child: ChildProcess;
  /** What the process said: the message of each pino JSON line, other lines as they are. */
  output(): string;
  /** Exactly what it wrote to stdout and stderr. */
  raw(): string;
  /** Sends the signal and resolves with the exit code (null when the signal killed it unhandled). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The message of a start that should fail before the process is ready. Should it come up after all, it is stopped
 * (a test must not leave a server behind, retrying its database for the rest of the run) and the message says so.
 */
export function failedStart(start: Promise<TallyProcess>): Promise<string> {
  return start.then(
    async (started) => {
      await started.stop();
      return "the process started, and was stopped";
    },
    (error: Error) => error.message,
  );
}

/** Turns pino's JSON lines back into their messages (a finished line at a time), so tests read what a person would. */
export function readLogLines(raw: string): string {
  const complete = raw.slice(0, raw.lastIndexOf("\n") + 1);
  return complete
    .split("\n")
    .map((line) => {
      if (!line.startsWith("{")) return line;
      try {
        const entry = JSON.parse(line) as { msg?: unknown; err?: { message?: string } };
        return typeof entry.msg === "string" ? entry.msg : (entry.err?.message ?? line);
      } catch {
        return line;
      }
    })
    .join("\n");
}

/**
 * Runs one of Tally's entry points as a child process and resolves once its output matches `ready`. Readiness is
 * read from the process itself (the API listens on PORT=0 and prints its address), never by probing a port that
 * another test's server could be holding. A `.ts` entry runs through tsx; a `.js` one (the `dist/` bundle) on plain
 * node.
 */
export async function startTallyProcess(
  entry: string,
  env: Record<string, string | undefined>,
  ready: RegExp,
  timeoutMs = 60_000,
  options: TallyProcessOptions = {},
): Promise<TallyProcess & { match: RegExpMatchArray }> {
  const { DATABASE_URL: _inherited, DISCORD_TOKEN: _token, ...base } = process.env;
  const [command, ...args] = options.command ?? [
    process.execPath,
    ...(options.nodeArgs ?? []),
    ...(entry.endsWith(".ts") ? ["--import", "tsx", entry] : [entry]),
  ];
  const child = spawn(command as string, args, {
    cwd: options.cwd ?? root,
    env: { ...base, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let raw = "";
  // "close" comes after "exit" once stdout and stderr are drained, so the output is complete by then.
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} was not ready in ${timeoutMs} ms:\n${readLogLines(raw)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      raw += chunk;
      options.onOutput?.(readLogLines(raw));
      const found = readLogLines(raw).match(ready);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("close", (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${readLogLines(raw)}`));
    });
  });
  return {
    child,
    match,
    output: () => readLogLines(raw),
    raw: () => raw,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface ApiProcess extends TallyProcess {
  url: string;
}

/** `pnpm start` as a real child process (what production runs), for start-up, multi-process and crash tests. */
export async function startApiProcess(
  env: Record<string, string | undefined>,
  options: TallyProcessOptions = {},
): Promise<ApiProcess> {
  const started = await startTallyProcess(
    "api/src/main.ts",
    env,
    /Tally is listening on (http:\/\/[^\s]+)[\s\S]*Doors open:/,
    // Creating an embedded database takes tens of seconds on a busy machine.
    180_000,
    options,
  );
  return { ...started, url: started.match[1] ?? "" };
}
