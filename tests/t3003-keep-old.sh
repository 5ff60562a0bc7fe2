#!/bin/sh
# keep_old: keep the old color running for an instant rollback, or stop it.

test_description='keep_old = no retires the old color after the switch'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_expect_success 'with keep_old = no the old color is stopped after the switch' '
	setup_stack "keep_old = no" &&
	commit_push README v1 "v1" &&
	wait_status $DEPLOYMENT succeeded &&
	test_path_is_file run/app-green.pid &&
	green=$(cat run/app-green.pid) &&
	commit_push README v2 "v2" &&
	wait_status $DEPLOYMENT succeeded &&
	proxy_says | grep "color blue" &&
	test_path_is_missing run/app-green.pid &&
	! is_alive $green &&
	db "SELECT name || '"'"' '"'"' || status FROM steps WHERE deployment = $DEPLOYMENT ORDER BY id" >steps &&
	test_grep "^retire succeeded" steps &&
	db "SELECT line FROM logs WHERE deployment = $DEPLOYMENT" >log &&
	test_grep "waiting [0-9]* ms for requests in flight to green" log
'

test_expect_success 'rollback then finds the old color stopped and redeploys its release' '
	api POST /api/apps/demo/rollback &&
	id=$(sed -n "s/.*\"deployment\":\([0-9]*\).*/\1/p" out) &&
	wait_status $id succeeded &&
	proxy_says | grep "color green" &&
	db "SELECT line FROM logs WHERE deployment = $id" >log &&
	test_grep "green is not running: redeploying" log
'

# The stop of a color that was live a moment ago, relative to the switch
# away from it: milliseconds from the switch step of deployment $1 to the
# stop command line for color $3 in deployment $2.
stop_after_switch () {
	db "SELECT (SELECT min(ts) FROM logs WHERE deployment = $2
	      AND line LIKE '\$ %stop%TURNOUT_COLOR=$3)')
	    - (SELECT finished_at FROM steps WHERE deployment = $1 AND name = 'switch')"
}

test_expect_success 'without a confirm URL, back-to-back pushes still drain the old color first' '
	stop_turnout &&
	sed -i -e "/^confirm/d" -e "s/^keep_old = no/keep_old = yes/" turnout.conf &&
	start_turnout &&
	live=$(active_color) &&
	commit_push README v3 "v3" && first=$DEPLOYMENT &&
	wait_status $first succeeded &&
	commit_push README v4 "v4" &&
	wait_status $DEPLOYMENT succeeded &&
	test "$(db "SELECT count(*) FROM steps WHERE deployment = $first AND name = '"'"'confirm'"'"'")" = 0 &&
	gap=$(stop_after_switch $first $DEPLOYMENT $live) &&
	echo "stopped $live $gap ms after the switch away from it" &&
	test "$gap" -ge 1000
'

test_done
