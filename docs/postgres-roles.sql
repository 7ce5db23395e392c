-- bvflow on PostgreSQL: roles and privileges for a council-wide install.
--
-- Three roles, in a schema of their own:
--   bvflow_owner        owns the schema and its tables; runs `bvflow init` and
--                       `bvflow db upgrade`, and nothing else.
--   bvflow_coordinator  coordinators and the scheduler: read everything, add and change the
--                       working tables; on audit_events only SELECT and INSERT.
--   bvflow_auditor      auditors and inspectors: SELECT only.
--
-- Run it as a superuser (or a role with CREATEROLE that owns the database), twice:
--   1. psql -v ON_ERROR_STOP=1 -d councildb -f postgres-roles.sql     roles and the schema
--   2. bvflow --db 'postgresql+psycopg://bvflow_owner@dbhost/councildb?options=-csearch_path%3Dbvflow' init ...
--   3. psql -v ON_ERROR_STOP=1 -d councildb -f postgres-roles.sql     privileges on the tables
-- and step 3 again after every `bvflow db upgrade`, so that new tables get their privileges.
-- Until then a new table is simply out of the other roles' reach: it fails closed.
-- Running the file again changes nothing that is already right.
--
-- To use other names, replace bvflow_owner, bvflow_coordinator, bvflow_auditor and the
-- schema name bvflow throughout.

BEGIN;

-- 1. The roles. The group roles cannot log in; people and services log in as members.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bvflow_owner') THEN
    CREATE ROLE bvflow_owner LOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bvflow_coordinator') THEN
    CREATE ROLE bvflow_coordinator NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bvflow_auditor') THEN
    CREATE ROLE bvflow_auditor NOLOGIN;
  END IF;
END $$;

-- 2. The schema, owned by the owner; nobody else may create objects in it.
CREATE SCHEMA IF NOT EXISTS bvflow AUTHORIZATION bvflow_owner;
REVOKE ALL ON SCHEMA bvflow FROM PUBLIC;
GRANT USAGE ON SCHEMA bvflow TO bvflow_coordinator, bvflow_auditor;

-- 3. Privileges on the tables bvflow init (or db upgrade) has created so far.
DO $$
DECLARE
  t text;
BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'bvflow' LOOP
    EXECUTE format('REVOKE ALL ON bvflow.%I FROM PUBLIC', t);
    EXECUTE format('REVOKE ALL ON bvflow.%I FROM bvflow_coordinator, bvflow_auditor', t);
    -- Auditors read everything and change nothing.
    EXECUTE format('GRANT SELECT ON bvflow.%I TO bvflow_auditor', t);
    IF t = 'audit_events' THEN
      -- The audit trail: read and append; never UPDATE, DELETE or TRUNCATE.
      EXECUTE format('GRANT SELECT, INSERT ON bvflow.%I TO bvflow_coordinator', t);
    ELSIF t IN ('alembic_version', 'authority') THEN
      -- The schema revision, and the authority and nation (whose bank holidays every
      -- timetable counts): only the owner changes them, with `bvflow init`.
      EXECUTE format('GRANT SELECT ON bvflow.%I TO bvflow_coordinator', t);
    ELSIF t IN ('definitions', 'corrections') THEN
      -- Pinned workflow definitions and corrections to the record: added, never changed.
      EXECUTE format('GRANT SELECT, INSERT ON bvflow.%I TO bvflow_coordinator', t);
    ELSIF t = 'watchers' THEN
      -- `bvflow review unwatch` is the one command that deletes a row.
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON bvflow.%I TO bvflow_coordinator', t);
    ELSE
      -- The working tables (audit_head included: each append updates it, which
      -- serialises appends).
      EXECUTE format('GRANT SELECT, INSERT, UPDATE ON bvflow.%I TO bvflow_coordinator', t);
    END IF;
  END LOOP;
END $$;

-- New rows take their ids from the tables' sequences.
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA bvflow TO bvflow_coordinator;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA bvflow TO bvflow_auditor;

COMMIT;

-- 4. People and services: one login each, a member of one group role. For example:
--   CREATE ROLE jo_bloggs LOGIN IN ROLE bvflow_coordinator;       -- a coordinator
--   CREATE ROLE bvflow_mailer LOGIN IN ROLE bvflow_coordinator;   -- the scheduler host
--   CREATE ROLE inspector_1 LOGIN IN ROLE bvflow_auditor;          -- an inspector
-- then give each a password (\password jo_bloggs) or certificate authentication in
-- pg_hba.conf. Each audit event records the database login (session_user, held to it
-- by a trigger) beside `--actor`, the person it names (default: the login name of the
-- operating system).
