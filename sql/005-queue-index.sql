-- The queued deployments of an app, newest last. Each webhook supersedes
-- the older queued ones and the worker claims the newest: without this
-- index both walked every deployment the app ever had (deployments_by_app
-- matches app and id but not status), so each webhook cost more as the
-- history grew.
CREATE INDEX deployments_queued ON deployments (app, id) WHERE status = 'queued';
