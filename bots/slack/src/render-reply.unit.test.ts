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
      {
        type: "section",
        text: { type: "mrkdwn", text: ":white_check_mark: *<@U1> gave 10 points*", verbatim: true },
      },
      {
        type: "section",
        text: { type: "mrkdwn", text: "New balance: *25*\nReason: fish &amp; &lt;chips&gt;", verbatim: true },
      },
      { type: "section", fields: [{ type: "mrkdwn", text: "*Balance*\n25", verbatim: true }] },
    ]);
  });

  it("keeps errors private and splits many fields into sections of ten", () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ name: `#${i + 1}`, value: String(i) }));
    const message = renderReply({ visibility: "ephemeral", kind: "error", title: "No", lines: [], fields });
    expect(message.response_type).toBe("ephemeral");
    expect(message.blocks?.map((b) => ("fields" in b ? b.fields?.length : 0))).toEqual([0, 10, 10, 3]);
  });

  it("passes Tally's bare user mentions through and escapes everything else", () => {
    expect(mrkdwn("<@U1> & <@W2> <b>")).toBe("<@U1> &amp; <@W2> &lt;b&gt;");
    expect(mrkdwn("/points give <@user> <amount>")).toBe("/points give &lt;@user&gt; &lt;amount&gt;");
  });

  it("lets no broadcast or group mention through, in markup or as a plain word", () => {
    const shown = mrkdwn("<!here> <!channel|channel> <!everyone> <!subteam^S1|@devs> <@U1|ada> <#C1|general>");
    expect(shown).toBe(
      "&lt;!here&gt; &lt;!channel|channel&gt; &lt;!everyone&gt; &lt;!subteam^S1|@devs&gt; &lt;@U1|ada&gt; &lt;#C1|general&gt;",
    );
    expect(mrkdwn("ping @here, @Channel and @everyone")).toBe("ping @\u2060here, @\u2060Channel and @\u2060everyone");
  });
});
