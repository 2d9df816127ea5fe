import type { TallyError } from "@tally/core";
import type { PointsCommand, Reply } from "./contract.ts";
import { type CurrencyLabel, quantity } from "./format-quantity.ts";
import { formatWhen } from "./format-when.ts";

/** What the person was doing when core said no; lets one message name the right fix. */
export interface ErrorSituation {
  command: PointsCommand["name"];
  platform: "discord" | "slack";
  /** How the target (or, for a tip, the tipper) reads in a reply. */
  subjectLabel?: string | undefined;
  /** The currency in use, for amounts in error details. */
  currency?: CurrencyLabel | undefined;
}

/** The database is away for a moment: nothing the command asked for is known to have happened. */
export const unavailableReply: Reply = {
  visibility: "ephemeral",
  kind: "error",
  title: "Tally is briefly unavailable",
  lines: ["Its database did not answer. Try again in a few seconds; `/points balance` shows what went through."],
};

/**
 * The one mapping from core error codes to chat wording. The `never` check makes a new code in core fail to compile
 * here until it has wording.
 */
export function describeError(error: TallyError, at: ErrorSituation): Reply {
  const fail = (title: string, ...lines: string[]): Reply => ({ visibility: "ephemeral", kind: "error", title, lines });
  const code = error.code;
  if (error.details?.subject === "link-code") return linkCodeRefusal(error, fail);
  switch (code) {
    case "NOT_FOUND":
      if (error.details?.subject === "credential" && at.subjectLabel) {
        const none = `no ${at.currency?.name ?? "points"} yet`;
        return at.command === "tip"
          ? fail("Nothing to tip yet", `You have ${none}, so there is nothing to tip.`)
          : fail(
              "Nothing to take",
              `${at.subjectLabel} has ${none}, so there is nothing to take. Check with \`/points balance\`.`,
            );
      }
      if (error.details?.subject === "entry") {
        return fail("No such entry", error.message, "Entry ids are the #numbers `/points history` shows.");
      }
      if (error.details?.subject === "user") {
        return fail(
          "No such user",
          error.message,
          "Check the user_id, or create the user first through the REST API (POST /users).",
        );
      }
      return fail(
        "Not found",
        error.message,
        at.platform === "discord"
          ? "Leave the currency option empty to use the default one, or pick one from the list."
          : "Leave out --currency to use the default one, or ask an admin which currencies exist.",
      );
    case "INSUFFICIENT_BALANCE": {
      if (at.command === "undo") {
        return fail(
          "Cannot undo that",
          "Those points have been spent since: taking them back would leave the balance below zero.",
          "Take what is left with `/points take` instead, or undo the later changes first.",
        );
      }
      const balance = error.details?.balance;
      const have = typeof balance === "bigint" && at.currency ? quantity(balance, at.currency) : undefined;
      const who = at.command === "tip" ? "You have" : `${at.subjectLabel ?? "The target"} has`;
      return fail(
        "Not enough points",
        have ? `${who} only ${have}.` : `${who} fewer points than that.`,
        have ? `Try an amount of at most ${have}.` : "Try a smaller amount; check with `/points balance`.",
      );
    }
    case "INVALID_AMOUNT":
      return fail("That amount does not work", error.message, "Use a positive amount such as 10.");
    case "BALANCE_LIMIT":
      return fail(
        "That amount is too large",
        "The balance would leave the range Tally can hold exactly.",
        "Use a smaller amount.",
      );
    case "IDEMPOTENCY_CONFLICT":
      return fail(
        "This command was already used",
        "A different request already ran under this command's id, so nothing changed.",
        "Run the command again.",
      );
    case "FORBIDDEN":
      return fail("Not allowed", error.message);
    case "VALIDATION":
      if (at.command === "undo") {
        return fail(
          "That entry cannot be undone",
          error.message,
          "Gives, takes, tips and API changes can be undone; pick another id from `/points history`.",
        );
      }
      return fail(
        "That target or option does not work",
        error.message,
        "Name someone with a mention, or slack:<user id>, discord:<17-20 digit id>, email:<address> or user:<user_id>.",
      );
    case "CONFLICT":
      return fail("That clashes with something that exists", error.message, "Check the input and try again.");
    case "ALREADY_REVERSED":
      return fail("Already undone", error.message, "Each entry can be undone once; nothing changed.");
    case "ALLOWANCE_EXHAUSTED": {
      const { remaining, amount, resetsAt, period } = error.details ?? {};
      const cur = at.currency;
      if (typeof remaining !== "bigint" || typeof amount !== "bigint" || !(resetsAt instanceof Date) || !cur) {
        return fail("Allowance used up", error.message);
      }
      return fail(
        "Allowance used up",
        `You have ${quantity(remaining, cur)} of your ${quantity(amount, cur)} allowance left this ${String(period)}.`,
        `It refills ${formatWhen(at.platform, resetsAt)}; unused allowance does not roll over.`,
      );
    }
    case "TOO_SOON": {
      const retryAt = error.details?.retryAt;
      const reason =
        error.details?.rule === "giveCooldownSeconds"
          ? "You gave them points a moment ago; this realm spaces gifts to the same person."
          : error.details?.rule === "dailyCapPerTarget"
            ? "You have given them as much as this realm allows from one person in a day."
            : "They joined too recently to receive gifts yet.";
      return fail(
        "Not yet",
        reason,
        retryAt instanceof Date ? `Try again ${formatWhen(at.platform, retryAt)}.` : error.message,
      );
    }
    case "RATE_LIMITED":
      return fail("Too many attempts", error.message, "Nothing changed.");
    default: {
      const unhandled: never = code;
      throw new Error(`no chat wording for error code ${String(unhandled)}`);
    }
  }
}

/** A link code that cannot be redeemed: why, and what to do instead. Nothing was linked. */
function linkCodeRefusal(error: TallyError, fail: (title: string, ...lines: string[]) => Reply): Reply {
  switch (error.details?.reason) {
    case "other-realm":
      return fail(
        "That code is from another realm",
        error.message,
        "Both platforms must be bound to the same realm: an admin binds them with `pnpm tally bind discord --guild <id> --realm <realm>` and `pnpm tally bind slack --team <id> --realm <realm>`.",
      );
    case "used":
    case "expired":
    case "unknown":
      return fail("That link code does not work", error.message, "Run `/points link` again for a fresh code.");
    case "own-code":
      return fail("Use the code on your other account", error.message);
    default:
      return fail("Cannot link", error.message, "Nothing changed.");
  }
}
