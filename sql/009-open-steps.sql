-- What /metrics asks to know which steps can still change: the oldest
-- step not finished (a deployment's retire and tidy steps may be written
-- after it ended, so its own end does not say). Few rows: the running ones.
CREATE INDEX steps_open ON steps (id) WHERE finished_at IS NULL;
