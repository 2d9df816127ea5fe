-- Lets a single-statement write roll itself back: a data-modifying CTE cannot be undone from SQL otherwise,
-- and a second round trip for BEGIN/ROLLBACK is what the single statement exists to avoid.
CREATE OR REPLACE FUNCTION tally_abort(reason text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION 'tally_abort:%', reason USING ERRCODE = 'P0001';
END;
$$;
