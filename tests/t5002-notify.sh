#!/bin/sh
# What turnout serve tells systemd (Type=notify), through a stand-in for
# its notify socket (tests/notify-recv): READY once it serves, a STATUS
# line naming the running deployment while it runs and its outcome after,
# STOPPING on SIGTERM.

test_description='systemd notify: READY, STATUS, STOPPING'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

RECV=$TURNOUT_BUILD_DIR/tests/notify-recv
if ! test -x "$RECV"
then
	skip_all="missing $RECV (make check builds it)"
	test_done
fi

# A short path: unix socket names are at most 107 bytes.
SOCKDIR=$(mktemp -d /tmp/turnout-notify.XXXXXX)
NOTIFY_SOCKET=$SOCKDIR/notify
cleanup_sock () {
	test -z "${RECV_PID:-}" || kill "$RECV_PID" 2>/dev/null
	rm -rf "$SOCKDIR"
}
test_atexit cleanup_sock

start_recv () {
	"$RECV" "$NOTIFY_SOCKET" >notify.log 2>&1 &
	RECV_PID=$!
}

has_line () {
	grep -q "$1" notify.log
}

test_expect_success 'set up: a repository, a config whose build takes a while' '
	git init -q work &&
	git -C work -c user.name=t -c user.email=t@example.com commit -q --allow-empty -m one &&
	git clone -q --bare work repo.git &&
	commit=$(git -C work rev-parse HEAD) &&
	printf "%s\n" "$DEMO_SECRET" >demo.secret && chmod 600 demo.secret &&
	printf "test-token\n" >token && chmod 600 token &&
	cat >turnout.conf <<-EOF
	[server]
	listen = 127.0.0.1:0
	state_dir = state
	token_file = token

	[app "demo"]
	repo = $PWD/repo.git
	secret_file = demo.secret
	blue_port = 18181
	green_port = 18182
	build = sleep 3
	start = /bin/true
	health = http://127.0.0.1:\$TURNOUT_PORT/healthz
	health_timeout = 1
	switch = command
	switch_command = /bin/true
	EOF
'

test_expect_success 'READY once serve listens' '
	start_recv &&
	test_wait_until 5 test -S "$NOTIFY_SOCKET" &&
	NOTIFY_SOCKET=$NOTIFY_SOCKET start_turnout &&
	test_wait_until 10 has_line "^READY=1$"
'

test_expect_success 'STATUS names the running deployment, then its outcome' '
	push_json refs/heads/main "$(git -C work rev-parse HEAD)" &&
	github_push &&
	test "$(cat status)" = 202 &&
	id=$(jq -r .deployment out) &&
	short=$(git -C work rev-parse HEAD | cut -c1-12) &&
	test_wait_until 10 has_line "^STATUS=demo: deploying #$id ($short)$" &&
	test_wait_until 30 has_line "^STATUS=demo: idle, #$id failed$" &&
	test "$(deployment "$id" .status)" = failed
'

test_expect_success 'STATUS says who froze the app and why, until it is unfrozen' '
	turnout freeze demo --reason "incident 9" -c turnout.conf &&
	test_wait_until 10 has_line "^STATUS=demo: frozen by $(id -un)@$(hostname) (incident 9)$" &&
	turnout unfreeze demo -c turnout.conf &&
	test_wait_until 10 has_line "^STATUS=demo: idle, unfrozen$"
'

test_expect_success 'STOPPING on SIGTERM' '
	stop_turnout &&
	has_line "^STOPPING=1$" &&
	# in that order
	grep -n "" notify.log | grep -E "READY|STOPPING" | cut -d: -f2 >order &&
	printf "READY=1\nSTOPPING=1\n" >want &&
	test_cmp want order
'

test_done
