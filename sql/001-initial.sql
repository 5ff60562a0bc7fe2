-- turnout schema, version 1. Times are milliseconds since the epoch (UTC).

-- One row per configured app: what the proxy serves now, and what each
-- color was last started with (the idle one is what rollback goes back to).
CREATE TABLE apps (
	name TEXT PRIMARY KEY,
	active_color TEXT CHECK (active_color IN ('blue', 'green')),
	live_commit TEXT,
	live_deployment INTEGER,
	since INTEGER,
	blue_commit TEXT,
	blue_release TEXT,
	green_commit TEXT,
	green_release TEXT
);

-- Every deployment ever asked for, by webhook, API, CLI or rollback.
CREATE TABLE deployments (
	id INTEGER PRIMARY KEY,
	app TEXT NOT NULL,
	kind TEXT NOT NULL DEFAULT 'push'
		CHECK (kind IN ('push', 'manual', 'redeploy', 'rollback')),
	status TEXT NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'running', 'succeeded', 'failed',
		    'rolled_back', 'superseded', 'interrupted', 'cancelled')),
	commit_sha TEXT,		-- NULL: the branch head, resolved at fetch
	ref TEXT,
	sender TEXT,			-- github, gitlab, gitea, bitbucket, api, cli
	delivery TEXT,
	author TEXT,
	message TEXT,
	color TEXT CHECK (color IN ('blue', 'green')),
	created_at INTEGER NOT NULL,
	started_at INTEGER,
	finished_at INTEGER,
	error TEXT,
	cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deployments_by_app ON deployments (app, id);
CREATE INDEX deployments_pending ON deployments (status)
	WHERE status IN ('queued', 'running');

-- The steps of a deployment, in order.
CREATE TABLE steps (
	id INTEGER PRIMARY KEY,
	deployment INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
	name TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'running'
		CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'cancelled')),
	started_at INTEGER NOT NULL,
	finished_at INTEGER,
	detail TEXT
);
CREATE INDEX steps_by_deployment ON steps (deployment, id);

-- Delivery ids already accepted, so a redelivered webhook queues nothing.
CREATE TABLE deliveries (
	app TEXT NOT NULL,
	delivery TEXT NOT NULL,
	deployment INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (app, delivery)
) WITHOUT ROWID;

-- Every line the commands of a deployment printed, and turnout's own notes.
CREATE TABLE logs (
	id INTEGER PRIMARY KEY,
	deployment INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
	ts INTEGER NOT NULL,
	stream TEXT NOT NULL CHECK (stream IN ('out', 'err', 'turnout')),
	line TEXT NOT NULL
);
CREATE INDEX logs_by_deployment ON logs (deployment, id);

-- Commits whose deployment failed or was rolled back: rollback never picks them.
CREATE TABLE bad_releases (
	app TEXT NOT NULL,
	commit_sha TEXT NOT NULL,
	deployment INTEGER NOT NULL,
	reason TEXT NOT NULL,
	marked_at INTEGER NOT NULL,
	PRIMARY KEY (app, commit_sha)
) WITHOUT ROWID;
