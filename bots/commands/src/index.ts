export type * from "./contract.ts";
export { describeError } from "./describe-error.ts";
export { DEFAULT_BULK_MAX } from "./give-to-group.ts";
export { helpText } from "./help-text.ts";
export { inOrderPerKey } from "./in-order-per-key.ts";
export { neutralizeMentions } from "./neutralize-mentions.ts";
export { parseEntryId, parsePointsText, parseTarget, USAGE } from "./parse-text.ts";
export { baseEmoji, type ReactionRule, reactionRule, refusalNote } from "./reaction-rules.ts";
export { runPointsCommand } from "./run-points-command.ts";
