import { jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { realms } from "./realms.ts";

export const botPlatforms = ["discord", "slack"] as const;
export type BotPlatform = (typeof botPlatforms)[number];

/** An emoji that gives points when members react with it: Slack names it (`taco`), Discord by its character or id. */
export interface ReactionRule {
  emoji: string;
  /** Whole units of the currency (the realm's default when currencyId is absent). */
  amount: number;
  currencyId?: string | undefined;
}

/** Binds a Discord guild or a Slack team to a realm, with platform settings such as manager roles. */
export const botBindings = pgTable(
  "bot_bindings",
  {
    platform: text("platform", { enum: botPlatforms }).notNull(),
    externalId: text("external_id").notNull(),
    realmId: text("realm_id")
      .notNull()
      .references(() => realms.id, { onDelete: "cascade" }),
    settings: jsonb("settings")
      .$type<{ managerRoleIds?: string[]; managerUserIds?: string[]; reactions?: ReactionRule[] }>()
      .notNull()
      .default({}),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.platform, t.externalId] })],
);
