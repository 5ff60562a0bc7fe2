-- How long each step spent inside the operator's commands (build, stop,
-- start, nginx_test, nginx_reload, switch_command), so that turnout's own
-- time per deployment can be told apart from theirs.
ALTER TABLE steps ADD COLUMN command_ms INTEGER NOT NULL DEFAULT 0;
