CREATE TABLE "link_code_attempts" (
	"realm_id" text NOT NULL,
	"caller" text NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"attempts" integer NOT NULL,
	CONSTRAINT "link_code_attempts_realm_id_caller_pk" PRIMARY KEY("realm_id","caller")
);
--> statement-breakpoint
CREATE TABLE "link_codes" (
	"code_hash" text PRIMARY KEY NOT NULL,
	"realm_id" text NOT NULL,
	"credential_id" text NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp (3) with time zone,
	"used_by_credential_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "realms" ADD COLUMN "timezone" text;--> statement-breakpoint
ALTER TABLE "link_codes" ADD CONSTRAINT "link_codes_realm_id_realms_id_fk" FOREIGN KEY ("realm_id") REFERENCES "public"."realms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_codes" ADD CONSTRAINT "link_codes_credential_id_credentials_id_fk" FOREIGN KEY ("credential_id") REFERENCES "public"."credentials"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "link_codes_credential_idx" ON "link_codes" USING btree ("credential_id");--> statement-breakpoint
CREATE INDEX "ledger_realm_currency_created_idx" ON "ledger_entries" USING btree ("realm_id","currency_id","created_at");