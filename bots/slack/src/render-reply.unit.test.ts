import { describe, expect, it } from "vitest";
import { mrkdwn, renderReply } from "./render-reply.ts";

describe("renderReply", () => {
  it("posts public replies to the channel as Block Kit, with a plain-text fallback", () => {
    const message = renderReply({
      visibility: "public",
      kind: "success",
      title: "<@U1> gave 10 points",
      lines: ["New balance: **25**", "Reason: fish & <chips>"],
      fields: [{ name: "Balance", value: "25" }],
    });
    expect(message.response_type).toBe("in_channel");
    expect(message.text).toBe("<@U1> gave 10 points\nNew balance: 25\nReason: fish &amp; &lt;chips&gt;");
    expect(message.blocks).toEqual([
      { type: "section", text: { type: "mrkdwn", text: ":white_check_mark: *<@U1> gave 10 points*" } },
      { type: "section", text: { type: "mrkdwn", text: "New balance: *25*\nReason: fish &amp; &lt;chips&gt;" } },
      { type: "section", fields: [{ type: "mrkdwn", text: "*Balance*\n25" }] },
    ]);
  });

  it("keeps errors private and splits many fields into sections of ten", () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ name: `#${i + 1}`, value: String(i) }));
    const message = renderReply({ visibility: "ephemeral", kind: "error", title: "No", lines: [], fields });
    expect(message.response_type).toBe("ephemeral");
    expect(message.blocks?.map((b) => ("fields" in b ? b.fields?.length : 0))).toEqual([0, 10, 10, 3]);
  });

  it("passes mentions through and escapes everything else", () => {
    expect(mrkdwn("<@U1|ada> & <#C1|general> <!here> <b>")).toBe("<@U1|ada> &amp; <#C1|general> <!here> &lt;b&gt;");
    expect(mrkdwn("/points give <@user> <amount>")).toBe("/points give &lt;@user&gt; &lt;amount&gt;");
  });
});
