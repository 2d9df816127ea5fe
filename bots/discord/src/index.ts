export { autocomplete, data, execute } from "./commands/points.ts";
export { dispatchPoints, isManager } from "./dispatch-points.ts";
export { type HeldShards, holdGatewayShards } from "./hold-gateway-shards.ts";
export { createDiscordInteractionsHandler, DEFAULT_DISCORD_API } from "./interactions-handler.ts";
export type { PointsRequest } from "./points-request.ts";
export { commandDefinitions, registerCommands } from "./register-commands.ts";
export { startDiscordGateway } from "./start-discord-gateway.ts";
export { discordPublicKey, verifyDiscordSignature } from "./verify-signature.ts";
