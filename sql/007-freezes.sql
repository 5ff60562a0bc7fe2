-- Frozen apps (turnout freeze): while an app has a row here whose until
-- is NULL or still ahead, none of its deployments starts. Webhooks and
-- API requests are still answered and queue as usual. A row whose until
-- has passed no longer holds anything; the worker deletes it and logs it.
CREATE TABLE freezes (
	app TEXT PRIMARY KEY,
	reason TEXT NOT NULL,
	frozen_by TEXT NOT NULL,	-- who asked: what the client said, or "dashboard"
	since INTEGER NOT NULL,		-- ms since the epoch
	until INTEGER			-- ms since the epoch; NULL: until turnout unfreeze
);
