# What is in flight on a color when it leaves service: a slow request, a
# WebSocket. The stack of lib-pipeline.sh with the long app (contrib/long-app)
# as the two colors and a proxy that passes WebSockets, for each switch kind
# (SWITCH=nginx|socket|haproxy before sourcing this file).
#
#   setup_long_stack [EXTRA]   setup_stack with the long app; keep_old and
#                              drain_timeout lines are in turnout.conf
#   set_conf KEY VALUE         rewrites KEY in turnout.conf and restarts turnout
#   slow_request MS NAME       GET /slow?ms=MS through the proxy in the
#                              background: NAME.code, NAME.out when it ends
#   ws_client SECONDS NAME     a WebSocket through the proxy in the
#                              background, closed by the client after SECONDS:
#                              NAME.rc and NAME.out when it ends
#   wait_file FILE             waits (at most 30 s) until FILE exists
#   wait_step ID NAME          waits until deployment ID has begun step NAME

. "$TEST_DIRECTORY/lib-pipeline.sh"

LONG_APP=$TURNOUT_SRC_DIR/contrib/long-app
if ! command -v node >/dev/null || test -z "${WS_MODULE:-}" || ! test -d "$WS_MODULE"
then
	skip_all='missing: node or the ws package in $WS_MODULE (contrib/check.sh installs it)'
	test_done
fi
export WS_MODULE

# nginx passes WebSockets on (contrib/examples/nginx-websocket.conf).
NGINX_HTTP_EXTRA='map $http_upgrade $connection_upgrade { default upgrade; "" ""; }'
NGINX_LOCATION_EXTRA='proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; proxy_read_timeout 1h;'
export NGINX_HTTP_EXTRA NGINX_LOCATION_EXTRA

setup_long_stack () {
	printf '#!/bin/sh\nexec node "%s/long-app.js"\n' "$LONG_APP" >long-app.sh &&
	chmod +x long-app.sh &&
	DEMO_APP=$PWD/long-app.sh && export DEMO_APP &&
	setup_stack "keep_old = yes" "drain_timeout = 30" "$@"
}

set_conf () {
	stop_turnout &&
	sed -i "s|^$1 = .*|$1 = $2|" turnout.conf &&
	grep -q "^$1 = $2\$" turnout.conf &&
	start_turnout
}

slow_request () {
	rm -f "$2.code" "$2.out" &&
	{ ( curl -s -o "$2.out" -w '%{http_code}' "http://127.0.0.1:$NGINX_PORT/slow?ms=$1" >"$2.tmp"
	    mv "$2.tmp" "$2.code" ) & } &&
	# Let it reach the app before anything moves.
	sleep 0.5
}

ws_client () {
	rm -f "$2.rc" "$2.out" "$2.open" &&
	{ ( OPENED=$2.open node "$LONG_APP/ws-client.js" "ws://127.0.0.1:$NGINX_PORT/ws" "$1" 100 >"$2.out" 2>&1
	    echo $? >"$2.rc" ) & } &&
	wait_file "$2.open" && sleep 0.2
}

wait_file () {
	i=0
	while ! test -f "$1" && test $i -lt 300
	do
		sleep 0.1; i=$((i + 1))
	done
	test -f "$1"
}

# Succeeds when deployment ID has begun step NAME.
has_step () {
	test -n "$(deployment_step "$1" "$2" .name)"
}

wait_step () {
	test_wait_until 15 has_step "$1" "$2"
}

# push_during_retire V1 FILE TEXT: a 6 s request on the live color (old,
# its app pid), a push of V1 (deployment one) and, once one is in its
# retire step, a push writing TEXT to FILE (deployment two).
push_during_retire () {
	old=$(active_color) && pid=$(live_pid) &&
	slow_request 6000 slow &&
	commit_push README "$1" "$1" && one=$DEPLOYMENT &&
	wait_step $one retire &&
	commit_push "$2" "$3" "push during the retire" && two=$DEPLOYMENT
}

# The color that serves now, and the pid of its app.
live_pid () {
	cat "run/app-$(active_color).pid"
}

test_expect_success 'set up the long app behind the proxy' '
	setup_long_stack &&
	commit_push README v1 "v1" &&
	wait_status $DEPLOYMENT succeeded &&
	proxy_says | grep "long app: color green"
'

test_expect_success 'keep_old = no: a 3 s request on the old color ends 200, then it stops' '
	set_conf keep_old no &&
	old=$(active_color) && pid=$(live_pid) &&
	slow_request 3000 slow &&
	commit_push README v2 "v2" &&
	wait_status $DEPLOYMENT succeeded &&
	wait_file slow.code &&
	test "$(cat slow.code)" = 200 &&
	grep "color $old" slow.out &&
	! is_alive $pid &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "$old drained: 1 open connection closed after [0-9]* ms" log &&
	# The drain is on record, for the metrics.
	test "$(db "SELECT step, color, result, open_at_start, open_at_end FROM drains
		WHERE deployment = $DEPLOYMENT AND step = '"'retire'"'")" = "retire|$old|empty|1|0" &&
	test "$(db "SELECT waited_ms >= 500 FROM drains WHERE deployment = $DEPLOYMENT AND step = '"'retire'"'")" = 1
'

test_expect_success 'keep_old = yes: back-to-back deployments do not stop a color under a 6 s request' '
	set_conf keep_old yes &&
	commit_push README v3 "v3" && wait_status $DEPLOYMENT succeeded &&
	first=$(active_color) && pid=$(live_pid) &&
	# Long enough to outlast the first deployment and reach the second one.
	slow_request 6000 slow &&
	commit_push README v4 "v4" && one=$DEPLOYMENT &&
	# Running, so that v5 queues behind it instead of superseding it.
	wait_status $one running succeeded &&
	commit_push README v5 "v5" && two=$DEPLOYMENT &&
	wait_status $one succeeded && wait_status $two succeeded &&
	test "$(active_color)" = $first &&
	wait_file slow.code &&
	test "$(cat slow.code)" = 200 &&
	grep "color $first, commit" slow.out &&
	! grep "commit $(git -C work rev-parse --short=12 HEAD)" slow.out &&
	deployment_log $two >log &&
	test_grep "$first drained: 1 open connection closed after [0-9]* ms" log &&
	! is_alive $pid
'

test_expect_success 'an open WebSocket on the old color works until the client closes it; the color stops right after' '
	set_conf keep_old no &&
	old=$(active_color) && pid=$(live_pid) &&
	ws_client 4 ws &&
	commit_push README v6 "v6" &&
	# The deployment waits in its retire step while the WebSocket talks.
	wait_step $DEPLOYMENT retire &&
	sleep 0.3 &&
	test "$(deployment $DEPLOYMENT .status)" = running &&
	is_alive $pid && ! test -f ws.rc &&
	wait_file ws.rc &&
	cat ws.out &&
	test "$(cat ws.rc)" = 0 &&
	test_grep "closed by client after [0-9]* messages from $old\$" ws.out &&
	# "Right after": the old color is gone within a second of the close.
	i=0 && while is_alive $pid && test $i -lt 10; do sleep 0.1; i=$((i + 1)); done &&
	! is_alive $pid &&
	wait_status $DEPLOYMENT succeeded &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "$old drained: 1 open connection closed after [0-9]* ms" log
'

test_expect_success 'keep_old = no: a deployment queued during a drain builds meanwhile; only its start waits' '
	push_during_retire v8 README v9 &&
	wait_status $one succeeded &&
	# The first ended while the old color still serves the request.
	is_alive $pid && ! test -f slow.code &&
	wait_status $two succeeded &&
	wait_file slow.code &&
	test "$(cat slow.code)" = 200 &&
	grep "color $old" slow.out &&
	! is_alive $pid &&
	deployment_log $one >log1 &&
	test_grep "a newer deployment is queued: it starts now, and stops $old once it has drained" log1 &&
	deployment_log $two >log2 &&
	test_grep "$old has been draining since #$one retired it" log2 &&
	test_grep "$old drained: 1 open connection closed after" log2 &&
	# Its fetch and build ran before the wait.
	awk "/^building /{b=NR} /has been draining/{d=NR} END{exit !(b && d && b < d)}" log2
'

test_expect_success 'a deployment handed a drain that fails before its start still retires the old color' '
	push_during_retire v10 build.sh "exit 1" &&
	wait_status $two failed &&
	wait_file slow.code &&
	test "$(cat slow.code)" = 200 &&
	! is_alive $pid &&
	deployment_log $two >log2 &&
	test_grep "$old, retired by #$one, is still running" log2 &&
	test_grep "$old drained: 1 open connection closed after" log2 &&
	commit_push build.sh "echo fixed" "a fixed build" &&
	wait_status $DEPLOYMENT succeeded
'

test_expect_success 'a handed-on drain whose deployment is cancelled while queued still ends in a stop' '
	push_during_retire v11 README v12 &&
	api POST /api/deployments/$two/cancel &&
	wait_status $two cancelled &&
	wait_status $one succeeded &&
	wait_file slow.code &&
	test "$(cat slow.code)" = 200 &&
	grep "color $old" slow.out &&
	# Cancelled while queued or at once after its claim: either way the
	# old color is stopped once the request ended, and not before.
	i=0 && while is_alive $pid && test $i -lt 50; do sleep 0.1; i=$((i + 1)); done &&
	! is_alive $pid &&
	{ deployment_log $one && deployment_log $two; } >log &&
	test_grep "$old drained: 1 open connection closed after" log
'

test_expect_success 'with drain_timeout = 1 a stuck connection is cut after about 1 s, and the log says so' '
	set_conf drain_timeout 1 &&
	old=$(active_color) && pid=$(live_pid) &&
	slow_request 20000 stuck &&
	commit_push README v7 "v7" &&
	wait_status $DEPLOYMENT succeeded &&
	! is_alive $pid &&
	wait_file stuck.code &&
	test "$(cat stuck.code)" != 200 &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "drain ran out: $old still has 1 of 1 connection after drain_timeout (1 s" log &&
	ms=$(sed -n "s/.*drain_timeout (1 s, waited \([0-9]*\) ms).*/\1/p" log) &&
	test $ms -ge 1000 && test $ms -lt 2000 &&
	grep "drain ran out" turnout.log &&
	test "$(db "SELECT result, open_at_start, open_at_end, timeout_s FROM drains
		WHERE deployment = $DEPLOYMENT AND step = '"'retire'"'")" = "timed_out|1|1|1"
'
