-- What the apps overview asks of each app's history, by index: without
-- these, each call of /api/apps walked every deployment the app ever had
-- (80-90 ms at 100,000 deployments, bench/history).
--
-- The running deployment: deployments_pending (status) holds it, but a
-- query by app and status cannot use an index that starts with status.
CREATE INDEX deployments_running ON deployments (app, id) WHERE status = 'running';
-- Whether a commit was ever live (the rollback target): by app and commit.
CREATE INDEX deployments_live_commits ON deployments (app, commit_sha) WHERE status = 'succeeded';
