ALTER TABLE "credentials" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "currencies" ADD COLUMN "metadata" jsonb;--> statement-breakpoint
ALTER TABLE "currencies" ADD COLUMN "archived_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "currencies" ADD COLUMN "updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "realms" ADD COLUMN "updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL;