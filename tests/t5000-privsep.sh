#!/bin/sh
# Privilege separation: `turnout serve` runs its HTTP server in a process
# of its own, as [server] user with no_new_privs, that never runs a
# command; when it dies it is started again and the deployments go on.

test_description='the network-facing process'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

if test "$(id -u)" != 0 || ! id nobody >/dev/null 2>&1
then
	test_skip_all 'needs root (to become another user) and the user nobody'
fi

# Waits until /healthz answers 200 again (at most 10 s).
wait_serving () {
	i=0
	while ! curl -fsS "$TURNOUT_URL/healthz" >/dev/null 2>&1
	do
		test $i -lt 100 || return 1
		sleep 0.1
		i=$((i + 1))
	done
}

test_expect_success 'the HTTP server runs in its own process, as user, with no_new_privs' '
	SERVER_EXTRA="user = nobody" setup_stack &&
	net=$(net_pid) &&
	echo "network process $net" &&
	grep "^Uid:" "/proc/$net/status" >uid &&
	test "$(awk "{ print \$2, \$3, \$4, \$5 }" uid)" = "65534 65534 65534 65534" &&
	grep "^Gid:" "/proc/$net/status" | grep -vq "[[:space:]]0[[:space:]]" &&
	test "$(awk "/^NoNewPrivs:/ { print \$2 }" "/proc/$net/status")" = 1 &&
	# Built with libseccomp, it runs under the filter (mode 2); else it says so.
	if turnout version | grep -q "^network process filter: seccomp$"
	then
		test "$(awk "/^Seccomp:/ { print \$2 }" "/proc/$net/status")" = 2 &&
		test_grep "network process $net serves as uid 65534 (seccomp filter on)" turnout.log
	else
		test_grep "network process $net serves as uid 65534 (no seccomp filter)" turnout.log
	fi &&
	test "$(awk "/^Uid:/ { print \$2 }" "/proc/$TURNOUT_PID/status")" = 0 &&
	test_grep "network process $net as nobody" turnout.log &&
	curl -fsS "$TURNOUT_URL/healthz" >out &&
	test_grep "^ok" out
'

test_expect_success 'the network process is turnout-net, which maps no libcurl' '
	net=$(net_pid) &&
	readlink "/proc/$net/exe" >exe &&
	test_grep "/turnout-net\$" exe &&
	awk "{ print \$6 }" "/proc/$net/maps" | sort -u >net-maps &&
	test_grep "libmicrohttpd" net-maps &&
	! grep "libcurl" net-maps &&
	# the worker side does map it: the check can see a library
	awk "{ print \$6 }" "/proc/$TURNOUT_PID/maps" | sort -u >worker-maps &&
	test_grep "libcurl" worker-maps
'

test_expect_success 'the commands run on the worker side, never in the network process' '
	# build.sh runs under /bin/sh -c, whose parent is turnout: the worker side.
	commit_push build.sh "sed -n \"s/^PPid:[[:space:]]*//p\" /proc/\$PPID/status >$PWD/build.who
id -u >>$PWD/build.who" "who builds" &&
	wait_status $DEPLOYMENT succeeded &&
	printf "%s\n0\n" "$TURNOUT_PID" >expect &&
	test_cmp expect build.who
'

test_expect_success 'killed mid-deployment, it is started again and the deployment succeeds' '
	old=$(net_pid) &&
	commit_push build.sh "sleep 2; echo built" "a slow build" &&
	id=$DEPLOYMENT &&
	kill -KILL "$old" &&
	wait_serving &&
	new=$(net_pid) &&
	test "$new" != "$old" &&
	test "$(awk "/^Uid:/ { print \$2 }" "/proc/$new/status")" = 65534 &&
	wait_status $id succeeded &&
	test_grep "the network process $old was killed by signal 9; starting it again" turnout.log &&
	# Webhooks are taken again, and wake the worker.
	commit_push README "after the restart" "after the restart" &&
	wait_status $DEPLOYMENT succeeded
'

test_expect_success 'SIGHUP mid-deployment: a new network process, as user again; the deployment goes on' '
	net=$(net_pid) &&
	commit_push build.sh "sleep 1; echo built" "through a SIGHUP" &&
	id=$DEPLOYMENT &&
	wait_status $id running &&
	kill -HUP "$TURNOUT_PID" &&
	test_wait_until 10 grep -q "reloaded .*turnout.conf" turnout.log &&
	test_wait_until 20 is_gone "$net" &&
	wait_status $id succeeded &&
	is_alive "$TURNOUT_PID" &&
	new=$(net_pid) &&
	test -n "$new" &&
	test "$new" != "$net" &&
	test "$(awk "/^Uid:/ { print \$2 }" "/proc/$new/status")" = 65534 &&
	test "$(awk "/^NoNewPrivs:/ { print \$2 }" "/proc/$new/status")" = 1 &&
	curl -fsS "$TURNOUT_URL/healthz" >out &&
	test_grep "^ok" out
'

test_expect_success 'SIGTERM to serve stops the network process too' '
	net=$(net_pid) &&
	stop_turnout &&
	! kill -0 "$net" 2>/dev/null
'

test_expect_success 'a user that does not exist: serve says so and does not start' '
	sed -i "s/^user = nobody/user = no-such-user-here/" turnout.conf &&
	test_must_fail turnout serve -c turnout.conf >log 2>&1 &&
	test_grep "no such user .no-such-user-here." log
'

test_done
