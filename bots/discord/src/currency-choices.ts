import type { BalanceService } from "@tally/core";

const MAX_CHOICES = 25; // Discord's limit for autocomplete results

/** Currencies of the guild's realm whose id or name starts with (then contains) what the member has typed. */
export async function currencyChoices(
  core: BalanceService,
  guildId: string | null,
  typed: string,
): Promise<{ name: string; value: string }[]> {
  const realmId = guildId ? (await core.bindingFor("discord", guildId)).realmId : undefined;
  if (!realmId) return [];
  const query = typed.trim().toLowerCase();
  const list = await core.currencies(realmId);
  const score = (text: string) => (text.startsWith(query) ? 0 : text.includes(query) ? 1 : 2);
  return list
    .map((c) => ({ c, rank: Math.min(score(c.id.toLowerCase()), score(c.name.toLowerCase())) }))
    .filter((x) => x.rank < 2)
    .sort((a, b) => a.rank - b.rank || a.c.name.localeCompare(b.c.name))
    .slice(0, MAX_CHOICES)
    .map(({ c }) => ({
      name: `${c.emoji ? `${c.emoji} ` : ""}${c.name}${c.isDefault ? " (default)" : ""}`.slice(0, 100),
      value: c.id,
    }));
}
