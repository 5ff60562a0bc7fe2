#!/bin/sh
# switch = haproxy: the runtime API sets servers ready, drain and maint.

test_description='the HAProxy switch: runtime API, no reload, no failed request'
SWITCH=haproxy
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_expect_success 'set up HAProxy with blue live and green in maintenance' '
	setup_stack &&
	test "$(active_color)" = blue
'

test_expect_success 'deployments under load: every request answered 200' '
	commit_push README v1 "first" && wait_status $DEPLOYMENT succeeded &&
	test "$(active_color)" = green &&
	test "$(haproxy_state green)" = "no check" &&
	test "$(haproxy_state blue)" = MAINT &&
	deploy_under_load &&
	live=$(active_color) && other=$(test $live = blue && echo green || echo blue) &&
	test "$(haproxy_state $live)" = "no check" &&
	test "$(haproxy_state $other)" = MAINT
'

test_expect_success 'a failed confirm sets the old color ready again' '
	commit_push fail-confirm yes "bad" &&
	wait_status $DEPLOYMENT rolled_back &&
	proxy_says | grep "color blue" &&
	test "$(active_color)" = blue &&
	test "$(haproxy_state blue)" = "no check" &&
	test "$(haproxy_state green)" = MAINT &&
	(cd work && git rm -q fail-confirm && git commit -q -m fix && git push -q origin main)
'

test_expect_success 'after a restart the live color is read back from the runtime API' '
	stop_turnout &&
	db "UPDATE apps SET active_color = '"'"'green'"'"'" &&
	start_turnout &&
	test_grep "the proxy serves blue but the database said green" turnout.log &&
	test "$(active_color)" = blue
'

test_expect_success 'at start, a color left draining (a stop mid-switch) is put to rest' '
	stop_turnout &&
	haproxy_set green drain &&
	test "$(haproxy_state green)" = DRAIN &&
	start_turnout &&
	test "$(haproxy_state green)" = MAINT &&
	test "$(haproxy_state blue)" = "no check" &&
	proxy_says | grep "color blue"
'

test_expect_success 'a failed first confirm keeps the new color and puts the other to rest' '
	# Nothing live: both servers in maintenance, nothing in the database.
	stop_turnout &&
	haproxy_set blue maint && haproxy_set green maint &&
	db "UPDATE apps SET active_color = NULL" &&
	start_turnout &&
	commit_push fail-confirm yes "bad from the start" &&
	wait_status $DEPLOYMENT failed &&
	deployment_steps $DEPLOYMENT >steps &&
	test_grep "^confirm failed" steps &&
	! grep "^rollback" steps &&
	test "$(active_color)" = blue &&
	test "$(db "SELECT reason FROM bad_releases WHERE commit_sha = '"'"'$COMMIT'"'"'")" = \
		"confirm through the proxy failed" &&
	# The switch set green draining; nothing may be left that way.
	test "$(haproxy_state blue)" = "no check" &&
	test "$(haproxy_state green)" = MAINT &&
	commit_rm fail-confirm
'

test_expect_success 'a wrong backend name fails the switch and leaves traffic alone' '
	stop_turnout &&
	sed -i "s/^haproxy_backend = demo/haproxy_backend = nope/" turnout.conf &&
	start_turnout &&
	commit_push README v9 "wrong backend" &&
	wait_status $DEPLOYMENT failed &&
	deployment $DEPLOYMENT .error >err &&
	test_grep "HAProxy backend .nope. needs servers named blue and green" err &&
	proxy_says | grep "color blue"
'

test_done
