-- The queued deployments of an app, newest last. Each webhook supersedes
-- the older queued ones and the worker claims the newest: without this
-- index both walked every deployment the app ever had (deployments_by_app
-- matches app and id but not status), so each webhook cost more as the
-- history grew.
CREATE INDEX deployments_queued ON deployments (app, id) WHERE status = 'queued';

-- Delivery ids by age: the daily prune of those older than 30 days reads
-- only them, where the primary key (app, delivery) made it walk them all.
CREATE INDEX deliveries_by_age ON deliveries (received_at);
