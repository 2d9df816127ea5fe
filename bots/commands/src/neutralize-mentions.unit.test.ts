import { describe, expect, it } from "vitest";
import { neutralizeMentions } from "./neutralize-mentions.ts";

describe("neutralizeMentions on Slack", () => {
  it.each([
    ["<!here> look", "@here look"],
    ["<!channel> and <!everyone>", "@channel and @everyone"],
    ["<!here|here>", "@here"],
    ["team <!subteam^S0DEVS|@devs>", "team @devs"],
    ["<!subteam^S0DEVS>", "@S0DEVS"],
    ["thanks <@U0FRIEND|fran> and <@U0MAX>", "thanks @fran and @U0MAX"],
    ["in <#C0GENERAL|general>", "in #general"],
    ["see <https://example.com|example.com> or <https://x.io>", "see example.com or https://x.io"],
    ["write <mailto:ada@example.com|ada@example.com>", "write ada@example.com"],
    ["<!date^1392734382^{date}|Feb 18, 2014>", "Feb 18, 2014"],
  ])("%s -> %s", (text, shown) => {
    expect(neutralizeMentions("slack", text)).toBe(shown);
  });

  it("keeps angle brackets that are no Slack markup for the renderer to escape", () => {
    expect(neutralizeMentions("slack", "a < b > c, <b>, <3")).toBe("a < b > c, <b>, <3");
  });

  it("leaves Discord text alone: its replies switch pings off with allowed_mentions", () => {
    expect(neutralizeMentions("discord", "<@123456789012345678> @everyone")).toBe("<@123456789012345678> @everyone");
  });
});
