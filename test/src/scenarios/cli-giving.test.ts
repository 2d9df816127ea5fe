import { describe, expect, it } from "vitest";
import { useTallyCli } from "../cli-harness.ts";

const cli = useTallyCli("tly_cli_giving_key");
// Each command is a process opening the database; on a busy machine with PGlite that is many seconds apiece.
const SLOW = 240_000;

describe("pnpm tally: allowances, reactions and giving rules", () => {
  it(
    "sets and removes a currency's allowance, refusing a malformed one with the usage",
    async () => {
      const [points] = await cli.json("currency", "list", "--realm", "default");
      const update = ["currency", "update", "--realm", "default", "--id", points.id, "--allowance"];
      const set = await cli.json(...update, "10/week", "--managers-exempt");
      expect(set).toMatchObject({ allowanceAmount: "10", allowancePeriod: "week", allowanceManagersExempt: true });
      const bad = await cli.tally(...update, "5/year");
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--allowance is <amount>/<day|week|month>");
      expect(await cli.json(...update, "none")).toMatchObject({ allowanceAmount: null, allowancePeriod: null });
    },
    SLOW,
  );

  it(
    "binds emoji to points with repeatable --reaction, keeping them when rebinding without",
    async () => {
      const bind = ["bind", "slack", "--team", "T0CLI", "--realm", "default"];
      const slack = await cli.json(...bind, "--reaction", "taco=1", "--reaction", ":party_parrot:=5");
      expect(slack.settings.reactions).toEqual([
        { emoji: "taco", amount: 1 },
        { emoji: "party_parrot", amount: 5 },
      ]);
      const rebound = await cli.json(...bind, "--manager-user", "U0BOSS");
      expect(rebound.settings).toEqual({ managerUserIds: ["U0BOSS"], reactions: slack.settings.reactions });
      const bad = await cli.tally(...bind, "--reaction", "taco");
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("--reaction is <emoji>=<amount>");
    },
    SLOW,
  );

  it(
    "changes the realm's giving rules, off by name",
    async () => {
      const rules = ["realm", "rules", "--realm", "default"];
      const set = await cli.json(...rules, "--give-cooldown-seconds", "60", "--commands-per-minute", "20");
      expect(set).toEqual({
        giveCooldownSeconds: 60,
        dailyCapPerTarget: null,
        minAccountAgeMinutes: null,
        commandsPerMinute: 20,
      });
      const off = await cli.json(...rules, "--give-cooldown-seconds", "off");
      expect(off).toMatchObject({ giveCooldownSeconds: null, commandsPerMinute: 20 });
    },
    SLOW,
  );
});
