-- What turnout has to tell others about a deployment: the forge (commit
-- status, GitHub deployment) and the notify_url. A row is written when the
-- event happens and delivered by the outbox thread, retried with backoff
-- across restarts; a deployment never waits for it.
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	deployment INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
	app TEXT NOT NULL,
	target TEXT NOT NULL CHECK (target IN ('forge', 'notify')),
	event TEXT NOT NULL CHECK (event IN ('started', 'succeeded', 'failed', 'rolled_back',
		'cancelled', 'interrupted')),
	state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at INTEGER NOT NULL,	-- ms since the epoch: when it is tried next
	last_status INTEGER,		-- the HTTP status of the last attempt; 0: no answer
	last_error TEXT,		-- why the last attempt failed
	forge_id TEXT,			-- what the forge gave back (a GitHub deployment's id)
	created_at INTEGER NOT NULL,
	delivered_at INTEGER
);
-- The thread's question: what is due, oldest first.
CREATE INDEX outbox_pending ON outbox (next_at, id) WHERE state = 'pending';
CREATE INDEX outbox_by_deployment ON outbox (deployment, target, id);
