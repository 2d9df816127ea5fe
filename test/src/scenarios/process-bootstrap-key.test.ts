import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase } from "@tally/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiProcess } from "../tally-process.ts";

let dataDir: string;
let databaseUrl: string | undefined;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tally-key-"));
  const t = await openTestDatabase();
  databaseUrl = t.url;
  await t.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("the bootstrap key", { timeout: 240_000 }, () => {
  it("is printed the moment it is created, so a first start that fails (port busy) does not lose it", async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as { port: number }).port;
    const env = { TALLY_DATA_DIR: dataDir, DATABASE_URL: databaseUrl };
    let failure = "";
    try {
      failure = await startApiProcess({ ...env, PORT: String(port) }).then(
        async (unexpected) => {
          await unexpected.stop();
          return "started on a busy port";
        },
        (error: Error) => error.message,
      );
    } finally {
      busy.close();
    }
    expect(failure).toContain("exited with 1 before it was ready");
    expect(failure).toContain(`Cannot listen on 127.0.0.1:${port} (settings HOST, PORT): EADDRINUSE`);
    const key = /shown once, store it now\): (tly_\S+)/.exec(failure)?.[1];
    expect(key).toBeDefined();
    expect(failure).toContain("`pnpm tally key create --realm default` makes another");

    // The next start prints no key (it exists already), and the one shown by the failed start opens the realm.
    const next = await startApiProcess(env);
    try {
      expect(next.output()).not.toContain("shown once");
      const res = await fetch(`${next.url}/api/v1/realms/default/credentials/balance?type=email&value=k@b.io`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ amount: 3 }),
      });
      expect(res.status).toBe(200);
      // One logger: every line the server wrote is a pino JSON line.
      for (const line of next.raw().trim().split("\n")) {
        expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), time: expect.any(Number) });
      }
    } finally {
      expect(await next.stop()).toBe(0);
    }
  });
});
