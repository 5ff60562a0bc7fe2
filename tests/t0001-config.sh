#!/bin/sh
# turnout check-config: like nginx -t, every problem with file:line, exit 0 or 2.

test_description='check-config and the config file'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"

test_expect_success 'a good config passes with exit 0' '
	SERVER_EXTRA="user = $(id -un)" write_config &&
	turnout check-config -c turnout.conf >out 2>err &&
	test_grep "turnout.conf: ok, 1 app" out &&
	test_must_be_empty err
'

test_expect_success 'started as root without a user, check-config warns about the network process' '
	write_config &&
	turnout check-config -c turnout.conf >out 2>err &&
	test_grep "turnout.conf: ok, 1 app" out &&
	if test "$(id -u)" = 0
	then
		test_grep "warning: started as root, the network-facing process keeps root" err
	else
		test_must_be_empty err
	fi
'

test_expect_success 'TURNOUT_CONFIG names the config when -c is absent' '
	TURNOUT_CONFIG=$PWD/turnout.conf turnout check-config >out &&
	test_grep "ok, 1 app" out
'

test_expect_success 'a missing config file is exit 2 with a hint' '
	test_expect_code 2 turnout check-config -c nowhere.conf 2>err &&
	test_grep "nowhere.conf: error: cannot read config" err &&
	test_grep "TURNOUT_CONFIG" err
'

test_expect_success 'unknown key, bad port, equal ports: each reported with file:line' '
	# A bad port leaves nothing to compare: the equal ports are in a second app.
	write_config "colour = blue" "" "[app \"other\"]" "repo = $PWD/repo.git" \
		"secret_file = demo.secret" "blue_port = 18083" "green_port = 18083" \
		"start = ./start.sh" "health = http://127.0.0.1:18083/healthz" \
		"nginx_upstream = other.conf" &&
	sed -i "s/^blue_port = 18081/blue_port = 99999/" turnout.conf &&
	test_expect_code 2 turnout check-config -c turnout.conf 2>err &&
	n=$(grep -n "^colour" turnout.conf | cut -d: -f1) &&
	test_grep "turnout.conf:$n: error: unknown key .colour." err &&
	p=$(grep -n "^blue_port = 99999" turnout.conf | cut -d: -f1) &&
	test_grep "turnout.conf:$p: error: .blue_port. must be a whole number from 1 to 65535" err &&
	test_grep "    blue_port = 99999" err &&
	s=$(grep -n "^\[app \"other\"\]" turnout.conf | cut -d: -f1) &&
	test_grep "turnout.conf:$s: error: app .other.: blue_port and green_port must differ (both 18083)" err &&
	test_grep "3 errors" err
'

test_expect_success 'equal ports are an error naming the app section' '
	write_config &&
	sed -i "s/^green_port = 18082/green_port = 18081/" turnout.conf &&
	test_expect_code 2 turnout check-config -c turnout.conf 2>err &&
	s=$(grep -n "^\[app" turnout.conf | cut -d: -f1) &&
	test_grep "turnout.conf:$s: error: app .demo.: blue_port and green_port must differ" err
'

test_expect_success 'a missing secret and a missing start command are errors' '
	write_config &&
	sed -i "/^secret_file/d; /^start/d" turnout.conf &&
	test_expect_code 2 turnout check-config -c turnout.conf 2>err &&
	test_grep "has no secret" err &&
	test_grep "has no .start. command" err
'

test_expect_success 'a secret file others can read is a warning, not an error' '
	write_config &&
	chmod 644 demo.secret &&
	turnout check-config -c turnout.conf >out 2>err &&
	test_grep "warning: .*demo.secret. is readable by other users" err &&
	test_grep "ok, 1 app (see the warnings above)" out &&
	! grep -F "Secret to Everybody" err
'

test_expect_success 'serve refuses a bad config with exit 2 and starts nothing' '
	write_config "colour = blue" &&
	test_expect_code 2 turnout serve -c turnout.conf 2>err &&
	test_grep "unknown key" err &&
	test_path_is_missing state
'

test_expect_success 'an unknown subcommand or argument is a usage error (exit 2)' '
	test_expect_code 2 turnout frobnicate 2>err &&
	test_grep "unknown command .frobnicate." err &&
	test_expect_code 2 turnout check-config --bogus 2>err &&
	test_grep "unknown argument" err
'

test_expect_success 'version prints the package version' '
	turnout version >out &&
	test_grep "^turnout [0-9][0-9.]*$" out
'

test_expect_success 'state_dir is created with mode 0700, the database 0600 whatever the umask' '
	write_config &&
	umask 022 &&
	start_turnout &&
	test "$(stat -c %a state)" = 700 &&
	test_path_is_file state/turnout.db &&
	test "$(stat -c %a state/turnout.db)" = 600 &&
	for f in state/turnout.db-wal state/turnout.db-shm; do
		test ! -e "$f" || test "$(stat -c %a "$f")" = 600 || return 1
	done &&
	test "$(db "PRAGMA journal_mode")" = wal &&
	test "$(db "PRAGMA user_version")" -ge 1
'

test_expect_success 'a database of an older version is migrated and keeps its rows' '
	stop_turnout &&
	rm -rf state && mkdir -m 700 state &&
	sqlite3 -batch state/turnout.db <"$TURNOUT_SRC_DIR/sql/001-initial.sql" &&
	db "PRAGMA user_version = 1;
	    INSERT INTO deployments (id, app, status, created_at) VALUES (7, '"'"'demo'"'"', '"'"'succeeded'"'"', 1);
	    INSERT INTO steps (deployment, name, status, started_at, finished_at) VALUES (7, '"'"'fetch'"'"', '"'"'succeeded'"'"', 1, 2);" &&
	start_turnout &&
	test "$(db "PRAGMA user_version")" = 9 &&
	test "$(deployment 7 .status)" = succeeded &&
	test "$(deployment 7 ".steps[] | \"\(.name)|\(.status)|\(.command_ms)\"")" = "fetch|succeeded|0" &&
	# (the drains are not in any answer)
	test "$(db "SELECT count(*) FROM drains")" = 0 &&
	test_grep "database migrated to version 2" turnout.log &&
	test_grep "database migrated to version 3" turnout.log &&
	test_grep "database migrated to version 4" turnout.log &&
	test_grep "database migrated to version 5" turnout.log &&
	test_grep "database migrated to version 6" turnout.log &&
	test_grep "database migrated to version 7" turnout.log &&
	test "$(db "SELECT count(*) FROM freezes")" = 0 &&
	test_grep "database migrated to version 8" turnout.log &&
	test "$(db "SELECT count(*) FROM outbox")" = 0 &&
	test_grep "database migrated to version 9" turnout.log &&
	# /metrics finds the oldest open step through its index.
	db "EXPLAIN QUERY PLAN SELECT min(id) FROM steps WHERE finished_at IS NULL" >plan &&
	test_grep "steps_open" plan &&
	# The outbox thread asks for what is due through its index.
	db "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE state = '"'"'pending'"'"' AND next_at <= 1 ORDER BY next_at, id" >plan &&
	test_grep "outbox_pending" plan &&
	# A webhook supersedes, and the worker claims, through the queue index.
	db "EXPLAIN QUERY PLAN UPDATE deployments SET status = 1 WHERE app = 1 AND status = 2 AND id < 1" >plan &&
	test_grep "deployments_by_app" plan &&
	db "EXPLAIN QUERY PLAN UPDATE deployments SET status = 1 WHERE app = 1 AND status = '"'"'queued'"'"' AND id < 1" >plan &&
	test_grep "USING INDEX deployments_queued" plan &&
	# The prune of old delivery ids reads only those, by age.
	db "EXPLAIN QUERY PLAN DELETE FROM deliveries WHERE received_at < 1" >plan &&
	test_grep "USING COVERING INDEX deliveries_by_age" plan &&
	# The apps overview: the running deployment, and whether a commit was live.
	db "EXPLAIN QUERY PLAN SELECT max(id) FROM deployments WHERE app = 1 AND status = '"'"'running'"'"'" >plan &&
	test_grep "deployments_running" plan &&
	db "EXPLAIN QUERY PLAN SELECT 1 FROM deployments WHERE app = 1 AND commit_sha = 2 AND status = '"'"'succeeded'"'"' LIMIT 1" >plan &&
	test_grep "deployments_live_commits" plan &&
	# A color of an old row is neither known running nor stopped.
	test "$(db "SELECT quote(blue_running) FROM apps WHERE name = '"'"'demo'"'"'")" = NULL
'

test_done
