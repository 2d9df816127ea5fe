CREATE TABLE "allowance_usage" (
	"currency_id" text NOT NULL,
	"account_id" text NOT NULL,
	"period_start" timestamp (3) with time zone NOT NULL,
	"realm_id" text NOT NULL,
	"used" bigint NOT NULL,
	"notified_at" timestamp (3) with time zone,
	CONSTRAINT "allowance_usage_currency_id_account_id_period_start_pk" PRIMARY KEY("currency_id","account_id","period_start")
);
--> statement-breakpoint
CREATE TABLE "giving_pairs" (
	"currency_id" text NOT NULL,
	"giver_account_id" text NOT NULL,
	"target_account_id" text NOT NULL,
	"realm_id" text NOT NULL,
	"last_at" timestamp (3) with time zone NOT NULL,
	"day_start" timestamp (3) with time zone NOT NULL,
	"day_total" bigint NOT NULL,
	CONSTRAINT "giving_pairs_currency_id_giver_account_id_target_account_id_pk" PRIMARY KEY("currency_id","giver_account_id","target_account_id")
);
--> statement-breakpoint
CREATE TABLE "giving_rules" (
	"realm_id" text PRIMARY KEY NOT NULL,
	"give_cooldown_seconds" integer,
	"daily_cap_per_target" bigint,
	"min_account_age_minutes" integer,
	"commands_per_minute" integer,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reaction_gifts" (
	"platform" text NOT NULL,
	"message_id" text NOT NULL,
	"reactor_id" text NOT NULL,
	"emoji" text NOT NULL,
	"realm_id" text NOT NULL,
	"target_id" text NOT NULL,
	"entry_id" bigint,
	"state" text NOT NULL,
	"note" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reaction_gifts_platform_message_id_reactor_id_emoji_pk" PRIMARY KEY("platform","message_id","reactor_id","emoji")
);
--> statement-breakpoint
ALTER TABLE "currencies" ADD COLUMN "allowance_amount" bigint;--> statement-breakpoint
ALTER TABLE "currencies" ADD COLUMN "allowance_period" text;--> statement-breakpoint
ALTER TABLE "currencies" ADD COLUMN "allowance_managers_exempt" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "giving_rules" ADD CONSTRAINT "giving_rules_realm_id_realms_id_fk" FOREIGN KEY ("realm_id") REFERENCES "public"."realms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reaction_gifts_realm_idx" ON "reaction_gifts" USING btree ("realm_id");