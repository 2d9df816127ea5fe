import { describe, expect, it } from "vitest";
import { ANONYMOUS_LABEL, publicLabel } from "./public-leaderboard.ts";

describe("publicLabel", () => {
  it("keeps a display name, and hides a missing one or one that looks like an email address or a wallet", () => {
    expect(publicLabel("Ada Lovelace")).toBe("Ada Lovelace");
    expect(publicLabel("  Bob  ")).toBe("Bob");
    expect(publicLabel("@bob on the forum")).toBe("@bob on the forum");
    for (const hidden of [
      null,
      "",
      "   ",
      "ada@example.com",
      "Ada <ada@example.com>",
      "0x52908400098527886E0F7030069857D2E4169EE7",
      "my wallet 0x52908400098527886e0f7030069857d2e4169ee7",
    ]) {
      expect(publicLabel(hidden), String(hidden)).toBe(ANONYMOUS_LABEL);
    }
  });
});
