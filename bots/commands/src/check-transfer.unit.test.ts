import { describe, expect, it } from "vitest";
import { checkTransfer, type TransferCommand } from "./check-transfer.ts";
import type { Invocation } from "./contract.ts";
import { sameSubject, targetLabel, targetSubject } from "./resolve-target.ts";

const ADA = "100000000000000001";
const BOB = "100000000000000002";

const invocation = (isManager: boolean, command: TransferCommand, platform: "discord" | "slack" = "discord") =>
  ({
    platform,
    realmId: "default",
    invoker: { id: ADA, isManager },
    idempotencyKey: "discord:1",
    command,
  }) satisfies Invocation;

const member = (id: string, isBot = false) => ({ kind: "member" as const, platform: "discord" as const, id, isBot });

describe("who may move points", () => {
  it("lets managers give and take, and refuses everyone else with the way to get there", () => {
    for (const name of ["give", "take"] as const) {
      const command = { name, target: member(BOB), amount: 5 };
      expect(checkTransfer(invocation(true, command), command)).toBeUndefined();
      const refusal = checkTransfer(invocation(false, command), command);
      expect(refusal).toMatchObject({ visibility: "ephemeral", kind: "error", title: "Only managers can do that" });
      expect(refusal?.lines.join(" ")).toContain("Manage Server");
      expect(refusal?.lines.join(" ")).toContain("/points tip");
    }
  });

  it("names Slack's managers on Slack", () => {
    const command = { name: "give" as const, target: member(BOB), amount: 5 };
    expect(checkTransfer(invocation(false, command, "slack"), command)?.lines.join(" ")).toContain(
      "SLACK_ADMIN_USER_IDS",
    );
  });

  it("lets anyone tip", () => {
    const command = { name: "tip" as const, target: member(BOB), amount: 5 };
    expect(checkTransfer(invocation(false, command), command)).toBeUndefined();
  });

  it("refuses bots as targets, even for managers", () => {
    for (const name of ["give", "take", "tip"] as const) {
      const command = { name, target: member(BOB, true), amount: 5 };
      expect(checkTransfer(invocation(true, command), command)).toMatchObject({
        visibility: "ephemeral",
        title: "Bots cannot hold points",
      });
    }
  });

  it("refuses zero, negative and non-finite amounts, and over-long reasons", () => {
    for (const amount of [0, -3, Number.NaN, Number.POSITIVE_INFINITY]) {
      const command = { name: "give" as const, target: member(BOB), amount };
      expect(checkTransfer(invocation(true, command), command)?.title).toBe("That amount does not work");
    }
    const command = { name: "give" as const, target: member(BOB), amount: 1, reason: "x".repeat(201) };
    expect(checkTransfer(invocation(true, command), command)?.title).toBe("That reason is too long");
  });
});

describe("targets", () => {
  it("maps each target form to its core subject", () => {
    expect(targetSubject(member(ADA))).toEqual({
      kind: "credential",
      identifier: { type: "discord-id", source: "", value: ADA },
    });
    expect(targetSubject({ kind: "member", platform: "slack", id: "U123" })).toEqual({
      kind: "credential",
      identifier: { type: "custom", source: "slack", value: "U123" },
    });
    expect(targetSubject({ kind: "email", address: " Ada@Example.com " })).toEqual({
      kind: "credential",
      identifier: { type: "email", source: "", value: "ada@example.com" },
    });
    expect(targetSubject({ kind: "user", userId: "u-1" })).toEqual({ kind: "user", userId: "u-1" });
  });

  it("rejects a discord target that is not a snowflake, saying what one looks like", () => {
    expect(() => targetSubject({ kind: "discord", id: "12" })).toThrow(/17 to 20 digits/);
  });

  it("treats one identity as the same subject however it was named", () => {
    expect(sameSubject(targetSubject(member(ADA)), targetSubject({ kind: "discord", id: ADA }))).toBe(true);
    expect(sameSubject(targetSubject(member(ADA)), targetSubject(member(BOB)))).toBe(false);
    expect(sameSubject(targetSubject({ kind: "user", userId: "a" }), targetSubject(member(ADA)))).toBe(false);
  });

  it("renders mentions only where the platform can show them", () => {
    expect(targetLabel("discord", member(ADA))).toBe(`<@${ADA}>`);
    expect(targetLabel("slack", { kind: "discord", id: ADA })).toBe(`discord:${ADA}`);
    expect(targetLabel("slack", { kind: "member", platform: "slack", id: "U1" })).toBe("<@U1>");
  });
});
