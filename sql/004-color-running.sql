-- Whether each color's app runs: 1 after its start, 0 after its stop, NULL
-- when turnout has not seen either (rows from before this column). The
-- dashboard and /metrics tell a warm color from a stopped one by it.
ALTER TABLE apps ADD COLUMN blue_running INTEGER;
ALTER TABLE apps ADD COLUMN green_running INTEGER;
