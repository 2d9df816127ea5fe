import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface TallyProcess {
  child: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code (null when the signal killed it unhandled). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs one of Tally's entry points as a child process and resolves once its output matches `ready`. Readiness is
 * read from the process itself (the API listens on PORT=0 and prints its address), never by probing a port that
 * another test's server could be holding.
 */
export async function startTallyProcess(
  entry: string,
  env: Record<string, string | undefined>,
  ready: RegExp,
  timeoutMs = 60_000,
): Promise<TallyProcess & { match: RegExpMatchArray }> {
  const { DATABASE_URL: _inherited, DISCORD_TOKEN: _token, ...base } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    cwd: root,
    env: { ...base, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} was not ready in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk;
      const found = output.match(ready);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited with ${code} before it was ready:\n${output}`));
    });
  });
  return {
    child,
    match,
    output: () => output,
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
export async function startApiProcess(env: Record<string, string | undefined>): Promise<ApiProcess> {
  const started = await startTallyProcess(
    "api/src/main.ts",
    env,
    /Tally is listening on (http:\/\/[^\s]+)[\s\S]*Doors open:/,
  );
  return { ...started, url: started.match[1] ?? "" };
}
