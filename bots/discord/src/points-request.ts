/**
 * One /points invocation as both transports see it: the gateway reads it from a discord.js interaction, the HTTP
 * endpoint from the raw interaction JSON. Everything after this point is shared.
 */
export interface PointsRequest {
  /** Discord's interaction id: unique per invocation and repeated on redelivery, so it is the idempotency key. */
  interactionId: string;
  guildId: string | null;
  invoker: {
    id: string;
    displayName?: string | undefined;
    /** The member's computed permissions in the channel, as Discord sends them. */
    permissions: bigint;
    roleIds: readonly string[];
  };
  subcommand: string;
  user?: { id: string; bot: boolean; displayName?: string | undefined } | undefined;
  /** `/points give role:` a role whose members all get the points. */
  role?: { id: string; name?: string | undefined } | undefined;
  /** When the `user` option's member joined the guild (ISO), as the interaction's resolved member says. */
  userJoinedAt?: string | undefined;
  /** `to:` an explicit target typed as text (`slack:U…`, `email:…`, `user:…`, `discord:…`). */
  to?: string | undefined;
  amount?: number | undefined;
  reason?: string | undefined;
  currency?: string | undefined;
  /** `/points undo entry:` */
  entry?: string | undefined;
  /** `/points link code:` */
  code?: string | undefined;
  /** `/points leaderboard period:` */
  period?: string | undefined;
}
