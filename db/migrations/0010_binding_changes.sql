-- Every process caches bindings (each bot command asks which realm its guild or team is bound to). PostgreSQL names
-- each changed binding on tally_binding_changed itself, so no write path, process, CLI or hand-made UPDATE can forget
-- to; a TRUNCATE names all of them ('*'). Listeners drop their copy; the payload is `platform:external_id`.
CREATE FUNCTION tally_binding_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('tally_binding_changed', '*');
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    PERFORM pg_notify('tally_binding_changed', OLD.platform || ':' || OLD.external_id);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM pg_notify('tally_binding_changed', NEW.platform || ':' || NEW.external_id);
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER bot_bindings_changed AFTER INSERT OR UPDATE OR DELETE ON bot_bindings
  FOR EACH ROW EXECUTE FUNCTION tally_binding_changed();
--> statement-breakpoint
CREATE TRIGGER bot_bindings_truncated AFTER TRUNCATE ON bot_bindings
  FOR EACH STATEMENT EXECUTE FUNCTION tally_binding_changed();
