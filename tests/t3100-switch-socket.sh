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
	# blue is live: this one goes to green.
	commit_push build.sh "env | grep \"^TURNOUT_[A-Z_]*SOCKET=\" | sort >\"\$RUN/env\"" "show the sockets" &&
	wait_status $DEPLOYMENT succeeded &&
	printf "TURNOUT_OLD_SOCKET=%s\nTURNOUT_SOCKET=%s\n" "$SOCKS/blue.sock" "$SOCKS/green.sock" >expect &&
	test_cmp expect run/env &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "GET http://localhost/healthz on green.s socket $SOCKS/green.sock until 2xx" log &&
	test_grep "green is healthy after" log &&
	# Over TCP that URL gets no 200: the one above came through the socket.
	test "$(curl -s -o /dev/null -w "%{http_code}" http://localhost/healthz)" != 200 &&
	(cd work && echo "echo building \$TURNOUT_COMMIT" >build.sh && git add build.sh) &&
	commit_push - - "back to blue" &&
	wait_status $DEPLOYMENT succeeded &&
	test "$(readlink "$SOCKS/demo.sock")" = "$SOCKS/blue.sock"
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
