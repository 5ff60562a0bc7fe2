-- Each drain before a color was stopped: how many connections it waited
-- for, how long, and how it ended, so that drains that ran out (and cut
-- what was left) can be found and counted later, by the metrics too.
CREATE TABLE drains (
	id INTEGER PRIMARY KEY,
	deployment INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
	app TEXT NOT NULL,
	color TEXT NOT NULL CHECK (color IN ('blue', 'green')),
	step TEXT NOT NULL,
	result TEXT NOT NULL CHECK (result IN ('empty', 'timed_out', 'stopped', 'blind')),
	open_at_start INTEGER NOT NULL,		-- -1 when they could not be counted
	open_at_end INTEGER NOT NULL,
	waited_ms INTEGER NOT NULL,
	timeout_s INTEGER NOT NULL,
	ended_at INTEGER NOT NULL		-- ms since the epoch
);
CREATE INDEX drains_by_app ON drains (app, id);
