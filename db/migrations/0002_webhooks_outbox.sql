CREATE TABLE "webhook_deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"endpoint_id" text NOT NULL,
	"realm_id" text NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"outbox_id" bigint,
	"payload" jsonb,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp (3) with time zone,
	"last_status_code" integer,
	"last_error" text,
	"last_response" text,
	"last_attempt_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"realm_id" text NOT NULL,
	"url" text NOT NULL,
	"events" text[],
	"description" text,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp (3) with time zone,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"failing_since" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_outbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_outbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"realm_id" text NOT NULL,
	"type" text NOT NULL,
	"entry_id" bigint,
	"credential_id" text,
	"account_id" text,
	"sequence" bigint,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_sequences" (
	"realm_id" text PRIMARY KEY NOT NULL,
	"last_sequence" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_realm_id_realms_id_fk" FOREIGN KEY ("realm_id") REFERENCES "public"."realms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due_idx" ON "webhook_deliveries" USING btree ("next_attempt_at") WHERE "webhook_deliveries"."status" IN ('pending', 'delivering');--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_idx" ON "webhook_deliveries" USING btree ("endpoint_id","id");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_realm_idx" ON "webhook_endpoints" USING btree ("realm_id");--> statement-breakpoint
CREATE INDEX "webhook_outbox_unsequenced_idx" ON "webhook_outbox" USING btree ("realm_id","id") WHERE "webhook_outbox"."sequence" IS NULL;--> statement-breakpoint
-- The outbox is written by triggers, so every write path (single statement, transaction, batching writer, reversal,
-- link) records its events in its own transaction without knowing about webhooks. A realm without an enabled endpoint
-- records nothing. One statement-level trigger per INSERT statement: a multi-row insert pays one function call.
CREATE FUNCTION tally_webhook_outbox_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO webhook_outbox (realm_id, type, entry_id)
  SELECT n.realm_id, 'balance.changed', n.id FROM new_entries n
  WHERE EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.realm_id = n.realm_id AND w.enabled)
  ORDER BY n.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER webhook_outbox_ledger_entries AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION tally_webhook_outbox_entries();
--> statement-breakpoint
-- A credential becomes linked when it is created on, or moved to, a member account (linking is one-way).
CREATE FUNCTION tally_webhook_outbox_credential() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.account_id IS NOT DISTINCT FROM OLD.account_id THEN
    RETURN NULL;
  END IF;
  IF EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.realm_id = NEW.realm_id AND w.enabled)
     AND EXISTS (SELECT 1 FROM accounts a WHERE a.id = NEW.account_id AND a.kind = 'member') THEN
    INSERT INTO webhook_outbox (realm_id, type, credential_id, account_id)
    VALUES (NEW.realm_id, 'credential.linked', NEW.id, NEW.account_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER webhook_outbox_credentials AFTER INSERT OR UPDATE OF account_id ON credentials
  FOR EACH ROW EXECUTE FUNCTION tally_webhook_outbox_credential();
