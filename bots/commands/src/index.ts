export type * from "./contract.ts";
export { describeError } from "./describe-error.ts";
export { helpText } from "./help-text.ts";
export { neutralizeMentions } from "./neutralize-mentions.ts";
export { parseEntryId, parsePointsText, parseTarget, USAGE } from "./parse-text.ts";
export { runPointsCommand } from "./run-points-command.ts";
