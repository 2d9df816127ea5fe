import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { discordPublicKey, verifyDiscordSignature } from "./verify-signature.ts";

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const der = publicKey.export({ format: "der", type: "spki" });
const key = discordPublicKey(der.subarray(der.length - 32).toString("hex"));
const NOW = 1_700_000_000;
const body = '{"type":1}';
const signed = (timestamp: string, text = body) =>
  sign(null, Buffer.from(timestamp + text), privateKey).toString("hex");
const check = (timestamp: string, signature = signed(timestamp), text = body) =>
  verifyDiscordSignature(key, text, signature, timestamp, NOW * 1000);

describe("verifyDiscordSignature", () => {
  it("accepts a signature made within five minutes either way", () => {
    for (const skew of [-300, -1, 0, 1, 300]) expect(check(String(NOW + skew))).toEqual({ ok: true });
  });

  it("refuses a signature older or further ahead than five minutes, however valid", () => {
    for (const skew of [-301, 301, -86_400]) {
      expect(check(String(NOW + skew))).toEqual({ ok: false, reason: expect.stringMatching(/^stale/) });
    }
  });

  it("refuses a changed body, a missing or malformed header", () => {
    const timestamp = String(NOW);
    expect(check(timestamp, signed(timestamp), `${body} `)).toMatchObject({ ok: false, reason: "signature mismatch" });
    expect(check(timestamp, "ab")).toMatchObject({ ok: false, reason: expect.stringContaining("x-signature-ed25519") });
    expect(verifyDiscordSignature(key, body, signed(timestamp), undefined, NOW * 1000)).toMatchObject({ ok: false });
    expect(check("soon", signed("soon"))).toMatchObject({ ok: false, reason: expect.stringContaining("timestamp") });
  });
});
