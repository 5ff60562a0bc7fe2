#!/bin/sh
# turnout freeze: webhooks are still answered and queue, but nothing
# starts until unfreeze or the freeze's --until; a freeze survives a
# restart, and so does its end; bad requests change nothing.

test_description='freeze and unfreeze'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

freezes () {
	db "SELECT count(*) FROM freezes"
}

# Status stays queued for a while: longer than a worker's poll (2 s).
stays_queued () {
	sleep 3 &&
	test "$(deployment $1 .status)" = queued
}

test_expect_success 'set up and deploy a first release' '
	setup_stack &&
	commit_push README v1 "first" &&
	wait_status $DEPLOYMENT succeeded
'

test_expect_success 'CLI: bad freezes exit 2 with one line and store nothing' '
	test_expect_code 2 turnout freeze demo -c turnout.conf 2>err &&
	test_grep "say why with --reason TEXT" err &&
	test_expect_code 2 turnout freeze demo --reason "x" --until tomorrow -c turnout.conf 2>err &&
	test_grep "^turnout freeze: --until .tomorrow.: give a span such as 30m" err &&
	test_line_count = 1 err &&
	test_expect_code 2 turnout freeze demo --reason "x" --until 2020-01-01T00:00Z -c turnout.conf 2>err &&
	test_grep "that time has passed" err &&
	test_expect_code 2 turnout freeze nosuch --reason "x" -c turnout.conf 2>err &&
	test_grep "no such app" err &&
	test_expect_code 2 turnout freeze -c turnout.conf 2>err &&
	test_grep "usage: turnout freeze APP --reason TEXT \[--until TIME\]" err &&
	test "$(freezes)" = 0
'

test_expect_success 'API: bad freezes are 400 with a JSON error and store nothing' '
	api POST /api/apps/demo/freeze "" &&
	test "$(cat status)" = 400 && test_grep "send {\\\\\"reason\\\\\"" out &&
	api POST /api/apps/demo/freeze "{\"until\":\"2h\"}" &&
	test "$(cat status)" = 400 && test_grep "\"reason\\\\\" must say why" out &&
	api POST /api/apps/demo/freeze "{\"reason\":\"two\\nlines\"}" &&
	test "$(cat status)" = 400 &&
	api POST /api/apps/demo/freeze "{\"reason\":\"x\",\"for\":\"2h\"}" &&
	test "$(cat status)" = 400 && test_grep "unknown field .*for" out &&
	api POST /api/apps/demo/freeze "{\"reason\":\"x\",\"until\":\"2020-01-01T00:00Z\"}" &&
	test "$(cat status)" = 400 && test_grep "that time has passed" out &&
	api POST /api/apps/demo/freeze "{\"reason\":\"x\",\"until\":7200}" &&
	test "$(cat status)" = 400 && test_grep "must be a string" out &&
	api GET /api/apps/demo/freeze &&
	test "$(cat status)" = 405 &&
	TEST_TOKEN=wrong api POST /api/apps/demo/freeze "{\"reason\":\"x\"}" &&
	test "$(cat status)" = 401 &&
	api POST /api/apps/nosuch/freeze "{\"reason\":\"x\"}" &&
	test "$(cat status)" = 404 &&
	test "$(freezes)" = 0 &&
	test "$(app_get .frozen)" = null
'

test_expect_success 'frozen: a running deployment ends, the next webhook queues and waits' '
	commit_push build.sh "while test ! -f \"\$RUN/go\"; do sleep 0.05; done" "held build" &&
	busy=$DEPLOYMENT &&
	wait_status $busy running &&
	turnout freeze demo --reason "incident 42" -c turnout.conf >said &&
	test_grep "^demo is frozen by $(id -un)@$(hostname) ([0-9]*s ago) until turnout unfreeze: incident 42$" said &&
	test "$(app_get .frozen.reason)" = "incident 42" &&
	test "$(app_get .frozen.by)" = "$(id -un)@$(hostname)" &&
	test "$(app_get .frozen.until)" = null &&
	touch run/go &&
	wait_status $busy succeeded &&
	commit_push README v2 "while frozen" &&
	held=$DEPLOYMENT &&
	stays_queued $held &&
	test_grep "demo: frozen by $(id -un)@$(hostname) (incident 42): the queued deployment waits" turnout.log &&
	turnout status -c turnout.conf >st &&
	test_grep "^demo is frozen by .*: incident 42$" st &&
	api GET /metrics &&
	test_grep "^turnout_frozen{app=\"demo\"} 1$" out
'

test_expect_success 'a deploy asked for while frozen is queued, and the answer says it waits' '
	api POST /api/apps/demo/deploy &&
	test "$(cat status)" = 202 &&
	test "$(jq -r .frozen.reason out)" = "incident 42" &&
	held=$(queued_id) &&
	turnout deploy demo -c turnout.conf >said &&
	test_grep "^it starts after turnout unfreeze demo$" said &&
	held=$(sed -n "s/^deployment \([0-9]*\) queued.*/\1/p" said) &&
	stays_queued $held
'

test_expect_success 'the freeze survives a restart; unfreeze lets the deployment start' '
	stop_turnout &&
	start_turnout &&
	test "$(app_get .frozen.reason)" = "incident 42" &&
	stays_queued $held &&
	turnout unfreeze demo -c turnout.conf >said &&
	test_grep "^demo unfrozen" said &&
	wait_status $held succeeded &&
	test "$(freezes)" = 0 &&
	test "$(app_get .frozen)" = null &&
	api GET /metrics &&
	test_grep "^turnout_frozen{app=\"demo\"} 0$" out &&
	turnout unfreeze demo -c turnout.conf >said &&
	test_grep "^demo was not frozen$" said
'

test_expect_success 'a freeze with --until ends by itself, also while the daemon is down' '
	turnout freeze demo --reason "release window" --until 4s -c turnout.conf >said &&
	test_grep "^demo is frozen by .* until 20[0-9-]*T[0-9:]*Z: release window$" said &&
	until=$(app_get .frozen.until) &&
	commit_push README v3 "after the window" &&
	later=$DEPLOYMENT &&
	test "$(deployment $later .status)" = queued &&
	stop_turnout &&
	while test "$(date +%s%3N)" -le "$until"; do sleep 0.2; done &&
	start_turnout &&
	wait_status $later succeeded &&
	test "$(deployment $later .started_at)" -ge "$until" &&
	test_grep "demo: the freeze by .* ended at .* (release window)" turnout.log &&
	test "$(freezes)" = 0
'

test_expect_success 'freeze again replaces the reason; until in the past is never stored' '
	turnout freeze demo --reason "first" -c turnout.conf &&
	turnout freeze demo --reason "second" --until 1h -c turnout.conf &&
	test "$(freezes)" = 1 &&
	test "$(app_get .frozen.reason)" = second &&
	test "$(app_get ".frozen.until > now * 1000 + 3500000")" = true &&
	turnout unfreeze demo -c turnout.conf &&
	test "$(freezes)" = 0
'

test_done
