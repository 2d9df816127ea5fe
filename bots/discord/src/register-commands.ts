import { REST, type RESTPutAPIApplicationCommandsResult, Routes } from "discord.js";
import { data } from "./commands/points.ts";
import { DEFAULT_DISCORD_API } from "./interactions-handler.ts";

/** Every command the bot answers, in registration form. */
export const commandDefinitions = () => [data.toJSON()];

/**
 * Registers /points for the application: globally (may take a while to reach every server), or in one guild,
 * where it appears at once. Re-running replaces the previous definition.
 */
export async function registerCommands(options: {
  token: string;
  applicationId: string;
  apiUrl?: string | undefined;
  guildId?: string | undefined;
}): Promise<{ id: string; name: string }[]> {
  const rest = new REST({ api: options.apiUrl ?? DEFAULT_DISCORD_API }).setToken(options.token);
  const route = options.guildId
    ? Routes.applicationGuildCommands(options.applicationId, options.guildId)
    : Routes.applicationCommands(options.applicationId);
  const registered = (await rest.put(route, { body: commandDefinitions() })) as RESTPutAPIApplicationCommandsResult;
  return registered.map((c) => ({ id: c.id, name: c.name }));
}
