ALTER TABLE "ledger_entries" ADD COLUMN "reverses_entry_id" bigint;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD COLUMN "operation_id" text;--> statement-breakpoint
CREATE INDEX "idempotency_keys_created_idx" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_reverses_entry_key" ON "ledger_entries" USING btree ("reverses_entry_id") WHERE "ledger_entries"."reverses_entry_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "ledger_operation_idx" ON "ledger_entries" USING btree ("operation_id") WHERE "ledger_entries"."operation_id" IS NOT NULL;--> statement-breakpoint
-- A SQLSTATE of Tally's own (class TY is unused by PostgreSQL), so callers recognise a replay by code, never by text.
CREATE OR REPLACE FUNCTION tally_abort(reason text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'tally_abort:%', reason USING ERRCODE = 'TY001';
END;
$$;
