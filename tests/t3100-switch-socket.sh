#!/bin/sh
# switch = socket: nginx proxies to a symlink that turnout swaps atomically.

test_description='the socket switch: no reload, no failed request'
SWITCH=socket
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_expect_success 'set up nginx on a symlinked unix socket' '
	setup_stack &&
	test "$(active_color)" = blue &&
	test "$(readlink "$SOCKS/demo.sock")" = "$SOCKS/blue.sock"
'

test_expect_success 'deployments under load: every request answered 200' '
	commit_push README v1 "first" && wait_status $DEPLOYMENT succeeded &&
	test "$(readlink "$SOCKS/demo.sock")" = "$SOCKS/green.sock" &&
	test_path_is_missing "$SOCKS/demo.sock.turnout-tmp" &&
	deploy_under_load
'

test_expect_success 'TURNOUT_SOCKET reaches the commands; health goes through the socket' '
	db "SELECT line FROM logs WHERE deployment = $DEPLOYMENT" >log &&
	test_grep "GET http://localhost/healthz until 2xx" log &&
	test_grep "blue is healthy after" log
'

test_expect_success 'a failed confirm swaps the link back' '
	commit_push fail-confirm yes "bad" &&
	wait_status $DEPLOYMENT rolled_back &&
	test "$(readlink "$SOCKS/demo.sock")" = "$SOCKS/blue.sock" &&
	proxy_says | grep "color blue" &&
	(cd work && git rm -q fail-confirm && git commit -q -m fix && git push -q origin main)
'

test_expect_success 'after a restart the live color is read back from the link' '
	stop_turnout &&
	db "UPDATE apps SET active_color = '"'"'green'"'"'" &&
	start_turnout &&
	test_grep "the proxy serves blue but the database said green" turnout.log &&
	test "$(active_color)" = blue
'

test_done
