import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openTestDatabase } from "@tally/db/testing";
import { describe, expect, it } from "vitest";
import { failedStart, startApiProcess } from "../tally-process.ts";

describe("pnpm start", () => {
  it("on an empty database serves /healthz, prints the realm and a key once, and keeps data across restarts", async () => {
    // The PGlite project starts on an empty folder; the PostgreSQL project on an empty database.
    const dataDir = mkdtempSync(join(tmpdir(), "tally-start-"));
    const t = await openTestDatabase();
    await t.close();
    const env = { TALLY_DATA_DIR: dataDir, DATABASE_URL: t.url };
    try {
      const first = await startApiProcess(env);
      const key = /shown once, store it now\): (tly_\S+)/.exec(first.output())?.[1];
      expect(first.output()).toContain("Realm: default (created with currency points)");
      expect(first.output()).toContain(t.url ? "database: PostgreSQL" : "embedded PGlite");
      expect(first.output()).toContain("Doors open: REST API");
      expect(key).toBeDefined();
      const res = await fetch(`${first.url}/api/v1/realms/default/credentials/balance?type=email&value=a@b.io`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ amount: 2 }),
      });
      expect(res.status).toBe(200);
      expect(await first.stop("SIGTERM")).toBe(0);

      const second = await startApiProcess(env);
      expect(second.output()).not.toContain("shown once");
      const read = await fetch(`${second.url}/api/v1/realms/default/credentials/find?type=email&value=a@b.io`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(((await read.json()) as { balance: number }).balance).toBe(2);
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses bad settings with one message listing every problem", async () => {
    const failure = await failedStart(
      startApiProcess({
        PORT: "x",
        DATABASE_URL: "mysql://nope",
        DISCORD_PUBLIC_KEY: "short",
        SLACK_SIGNING_SECRET: "s",
      }),
    );
    expect(failure).toContain("Tally cannot start; fix these settings:");
    for (const name of ["PORT", "DATABASE_URL", "DISCORD_PUBLIC_KEY", "SLACK_BOT_TOKEN"])
      expect(failure).toContain(`- ${name}:`);
  });
});
