import { spawn } from "node:child_process";

/** Runs Debian's `wrk` with these arguments and resolves with what it printed (its Lua `done` writes the figures). */
export function runWrk(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const wrk = spawn("wrk", args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    wrk.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    wrk.on("error", reject);
    wrk.on("close", () => resolve(out));
  });
}
