export { type Logger, LogLevel } from "@slack/bolt";
export { createSlackApp, DEFAULT_SLACK_API_URL, type SlackApp, type SlackAppOptions } from "./create-slack-app.ts";
export { renderReply } from "./render-reply.ts";
export { signSlackRequest, verifySlackSignature } from "./verify-signature.ts";
