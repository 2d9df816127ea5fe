import { createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { signSlackRequest, verifySlackSignature } from "./verify-signature.ts";

const secret = "8f742231b10e8888abcd99yyyzzz85a5";

describe("verifySlackSignature", () => {
  it("matches Slack's documented example", () => {
    // From Slack's "Verifying requests" guide.
    const body =
      "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    expect(signSlackRequest(secret, "1531420618", body)).toBe(signature);
    expect(
      verifySlackSignature({
        signingSecret: secret,
        rawBody: body,
        timestamp: "1531420618",
        signature,
        nowMs: 1531420618_000,
      }),
    ).toEqual({ ok: true });
  });

  it("accepts what it signs within five minutes either way, and nothing else", () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: -300, max: 300 }), (body, skew) => {
        const now = 1_700_000_000;
        const timestamp = String(now + skew);
        const signature = createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
        const check = (rawBody: string, sig: string) =>
          verifySlackSignature({ signingSecret: secret, rawBody, timestamp, signature: sig, nowMs: now * 1000 }).ok;
        expect(check(body, `v0=${signature}`)).toBe(true);
        expect(check(`${body} `, `v0=${signature}`)).toBe(false);
        expect(check(body, `v1=${signature}`)).toBe(false);
        expect(check(body, `v0=${signature.slice(0, -1)}`)).toBe(false);
      }),
    );
  });

  it.each([
    ["a stale timestamp", { timestamp: String(1_700_000_000 - 301) }, /stale/],
    ["a future timestamp", { timestamp: String(1_700_000_000 + 301) }, /stale/],
    ["no timestamp", { timestamp: undefined }, /timestamp/],
    ["a timestamp that is not a number", { timestamp: "soon" }, /timestamp/],
    ["no signature", { signature: undefined }, /missing x-slack-signature/],
    ["no signing secret", { signingSecret: "" }, /no Slack signing secret/],
  ])("refuses %s", (_name, override, reason) => {
    const timestamp = ("timestamp" in override && override.timestamp) || "1700000000";
    const input = {
      signingSecret: secret,
      rawBody: "text=hi",
      timestamp: "1700000000",
      signature: signSlackRequest(secret, timestamp, "text=hi"),
      nowMs: 1_700_000_000_000,
      ...override,
    };
    const check = verifySlackSignature(input);
    expect(check.ok).toBe(false);
    expect(!check.ok && check.reason).toMatch(reason);
  });
});
