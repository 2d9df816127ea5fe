import type { Reply } from "@tally/bot-commands";

const MENTION = /<@([UW][A-Z0-9]+)>/g;

/**
 * Slack notifies everyone a channel message mentions, and has no `allowed_mentions` to say otherwise. So in a public
 * reply only `notify` (the person points were given to, taken from or tipped) keeps a live mention; everyone else
 * Tally names (the invoker, leaderboard holders, whoever a balance is about) reads as `@name`. Private replies notify
 * nobody and stay as they are.
 */
export async function quietMentions(
  reply: Reply,
  notify: string | undefined,
  nameOf: (id: string) => Promise<string | undefined>,
): Promise<Reply> {
  if (reply.visibility !== "public") return reply;
  const texts = [reply.title, ...reply.lines, ...(reply.fields ?? []).flatMap((f) => [f.name, f.value])];
  const ids = new Set(texts.flatMap((text) => [...text.matchAll(MENTION)].map((m) => m[1] as string)));
  ids.delete(notify ?? "");
  if (ids.size === 0) return reply;
  const names = new Map(await Promise.all([...ids].map(async (id) => [id, (await nameOf(id)) ?? id] as const)));
  const quiet = (text: string) =>
    text.replace(MENTION, (mention, id: string) => (names.has(id) ? `@${names.get(id)}` : mention));
  return {
    ...reply,
    title: quiet(reply.title),
    lines: reply.lines.map(quiet),
    ...(reply.fields ? { fields: reply.fields.map((f) => ({ name: quiet(f.name), value: quiet(f.value) })) } : {}),
  };
}
