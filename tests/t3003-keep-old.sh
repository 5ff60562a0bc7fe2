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
	deployment_steps $DEPLOYMENT >steps &&
	test_grep "^retire succeeded" steps &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "green has no open connections\|green drained" log
'

test_expect_success 'rollback then finds the old color stopped and redeploys its release' '
	api POST /api/apps/demo/rollback &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	proxy_says | grep "color green" &&
	deployment_log $id >log &&
	test_grep "green is not running: redeploying" log
'

test_done
