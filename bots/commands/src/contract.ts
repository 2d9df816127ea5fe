/**
 * The platform-neutral contract between the chat doors and the shared /points logic.
 * Each platform turns its input into a PointsCommand (Discord from typed options, Slack by parsing text),
 * calls `runPointsCommand`, and renders the Reply in its own format (embed, Block Kit).
 */

/** Who a command is about. */
export type Target =
  /** A mention on the invoking platform: Discord user id, or Slack user id. */
  | { kind: "member"; platform: "discord" | "slack"; id: string; isBot?: boolean; displayName?: string }
  /** Explicit `discord:<snowflake>` typed from any platform. */
  | { kind: "discord"; id: string }
  /** Explicit `email:<address>`. */
  | { kind: "email"; address: string }
  /** Explicit `user:<user_id>`: a credit-style user. */
  | { kind: "user"; userId: string }
  /** A Discord role or a Slack user group: `give` only, to each of its members (the platform lists them). */
  | { kind: "group"; platform: "discord" | "slack"; id: string; name?: string };

export type PointsCommand =
  | { name: "give" | "take"; target: Target; amount: number; reason?: string; currencyId?: string }
  | { name: "tip"; target: Target; amount: number; reason?: string; currencyId?: string }
  /** Points minted for the target from the invoker's allowance (never their balance). */
  | { name: "thank"; target: Target; amount: number; reason?: string; currencyId?: string }
  /** What is left of the invoker's allowance and when it refills. */
  | { name: "allowance"; currencyId?: string }
  | { name: "balance"; target?: Target; currencyId?: string }
  /** `period`: rank by what was received this day, week or month; `all` (the default) by balance. */
  | { name: "leaderboard"; currencyId?: string; period?: "day" | "week" | "month" | "all" }
  | { name: "history"; target?: Target; currencyId?: string }
  /** Reverse a ledger entry (managers); without an id, the invoker's own last give, take or tip in the realm. */
  | { name: "undo"; entryId?: string }
  /** Without a code: issue a one-time link code; with one: join the code's identity and the invoker's. */
  | { name: "link"; code?: string }
  /** The invoker's account: identities on every platform and balances. */
  | { name: "whoami" }
  /** A private one-time sign-in link to the web dashboard (managers). */
  | { name: "dashboard" }
  | { name: "help" };

export interface Invocation {
  platform: "discord" | "slack";
  /** Realm the guild/team is bound to (core `bindingFor`). */
  realmId: string;
  invoker: { id: string; displayName?: string; isManager: boolean };
  /** When the command's target joined the platform, when the platform says (Discord member `joined_at`). */
  targetJoinedAt?: Date | undefined;
  /** Discord interaction id / Slack trigger_id, prefixed by platform so doors never collide. */
  idempotencyKey: string;
  command: PointsCommand;
  /** For a give to a group: its members' user ids on this platform, bots left out, as the platform listed them. */
  groupMembers?: readonly string[];
  /** Most members one group give may reach (TALLY_BULK_MAX); 1,000 when unset. */
  bulkMax?: number;
  /** TALLY_PUBLIC_URL: where the dashboard is served; `/points dashboard` says it is off without it. */
  publicUrl?: string | undefined;
}

/** What to show; platforms render it. Errors and refusals are always ephemeral. */
export interface Reply {
  visibility: "public" | "ephemeral";
  kind: "success" | "error" | "info";
  title: string;
  /** Markdown-ish lines (both platforms render **bold** / *bold* differently: keep it plain or use `mention`). */
  lines: string[];
  fields?: { name: string; value: string }[];
}

/** A raw HTTP request the API server hands to a bot's HTTP transport (Discord interactions, Slack events). */
export interface RawHttpRequest {
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RawHttpResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON when an object, sent as-is when a string. */
  body: unknown;
}
