#!/bin/sh
# The intake under abuse and under a crash: a flood of bad signatures
# stores nothing and /healthz answers throughout; slow clients neither
# hold the server nor outlive header_timeout; one address gets
# max_connections_per_client connections, but a proxy named by
# trust_proxy is not held to that, its clients are; and every webhook
# that got a 202 before a kill -9 is in the database after restart,
# once. The clients come from loopback addresses of their own
# (tests/hook-load.js, 127.0.0.2 and up).

test_description='webhook intake: floods, slow clients, proxies, kill -9'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

if ! command -v node >/dev/null
then
	skip_all='node is missing (contrib/check.sh installs what the tests need)'
	test_done
fi
LOAD=$TEST_DIRECTORY/hook-load.js
port () { echo "${TURNOUT_URL##*:}"; }
accepted_at_least () { test "$(wc -l <accepted)" -ge "$1"; }

# load MODE ARGS...: runs tests/hook-load.js in the background, its JSON into MODE.json.
load () {
	_mode=$1
	node "$LOAD" "$@" >"$_mode.json" 2>"$_mode.err" &
	echo $! >"$_mode.pid"
}
load_wait () {
	wait "$(cat "$1.pid")" &&
	cat "$1.json"
}

# probe_healthz SECONDS: GET /healthz every 0.2 s; writes a line per answer to healthz.log.
probe_healthz () {
	_end=$(($(date +%s) + $1))
	: >healthz.log
	while test "$(date +%s)" -lt "$_end"
	do
		curl -s -o /dev/null -m 2 -w "%{http_code} %{time_total}\n" "$TURNOUT_URL/healthz" >>healthz.log
		sleep 0.2
	done
}

test_expect_success 'start with short deadlines' '
	SERVER_EXTRA="header_timeout = 2
body_timeout = 2" write_config &&
	start_turnout &&
	test_grep "header_timeout = 2" turnout.conf
'

test_expect_success '1000 concurrent bad-signature requests store nothing; /healthz answers throughout' '
	load bad "$TURNOUT_URL/hooks/demo" 1000 4 10 &&
	probe_healthz 4 &&
	load_wait bad &&
	# Every answer was a 401, and there were many.
	jq -e ".status | keys == [\"401\"]" bad.json &&
	test "$(jq ".status[\"401\"]" bad.json)" -gt 500 &&
	# 10 addresses x 32: the rest were refused at the door.
	test "$(jq .refused bad.json)" -gt 0 &&
	test "$(db "SELECT count(*) FROM deployments")" = 0 &&
	test "$(db "SELECT count(*) FROM deliveries")" = 0 &&
	# The log says what it left out, instead of a line per refusal.
	test_grep "more refused webhooks were not logged" turnout.log &&
	test "$(grep -c "refused (X-Hub-Signature-256 does not match)" turnout.log)" -le 60 &&
	test_line_count -ge 10 healthz.log &&
	! grep -v "^200 " healthz.log &&
	curl -sS -o out -w "%{http_code}" "$TURNOUT_URL/healthz" >status &&
	test "$(cat status)" = 200
'

test_expect_success '200 slow clients do not stop a good webhook, and go at header_timeout' '
	load slow "$(port)" 200 5 8 &&
	sleep 1 &&
	push_json refs/heads/main 1234567890abcdef1234567890abcdef12345678 &&
	github_push &&
	test "$(cat status)" = 202 &&
	load_wait slow &&
	test "$(jq .opened slow.json)" = 200 &&
	test "$(jq .closed_early slow.json)" = 0 &&
	test "$(jq .closed slow.json)" = 200 &&
	test_grep "closed [0-9]* connections that did not send a request in time" turnout.log
'

# The 8 past the limit are closed at accept; the 32 are held until
# header_timeout (2 s after their accept), so 1.9 s of holding counts only
# the 8, even when a busy machine accepts them late.
test_expect_success 'one address gets max_connections_per_client connections' '
	load slow "$(port)" 40 1.9 1 &&
	load_wait slow &&
	test "$(jq .opened slow.json)" = 40 &&
	test "$(jq .closed slow.json)" = 8
'

test_expect_success 'restart trusting X-Forwarded-For from a proxy on loopback' '
	stop_turnout &&
	SERVER_EXTRA="trust_proxy = X-Forwarded-For
body_timeout = 3" write_config &&
	start_turnout
'

test_expect_success 'the proxy is not held to the per-address limit: 40 clients behind it' '
	load partial "$(port)" 40 2 distinct &&
	load_wait partial &&
	test "$(jq .held partial.json)" = 40
'

test_expect_success 'a client behind the proxy is: 32 requests in flight, the rest 429' '
	load partial "$(port)" 40 2 same &&
	load_wait partial &&
	test "$(jq .held partial.json)" = 32 &&
	test "$(jq ".status[\"429\"]" partial.json)" = 8
'

test_expect_success 'the 429 is JSON and says to retry' '
	jq -r .answer partial.json | tr -d "\r" >answer &&
	test_grep "^HTTP/1.1 429" answer &&
	test_grep -i "^Retry-After: 1\$" answer &&
	test_grep -i "^Content-Type: application/json" answer &&
	test_grep "{\"error\":\"too many requests from this client at once; retry\"}" answer
'

test_expect_success 'kill -9 during a burst: every 202 is in the database after restart, once' '
	: >accepted &&
	load burst "$TURNOUT_URL/hooks/demo" 6 "$DEMO_SECRET" accepted &&
	test_wait_until 20 accepted_at_least 200 &&
	kill -KILL "$(net_pid)" "$TURNOUT_PID" &&
	{ wait "$TURNOUT_PID"; TURNOUT_PID=; } &&
	load_wait burst &&
	n=$(wc -l <accepted) &&
	echo "$n deliveries were answered 202" &&
	test "$n" -ge 200 &&
	start_turnout &&
	sort accepted >want &&
	db "SELECT delivery FROM deliveries WHERE delivery LIKE '"'"'burst-%'"'"'" | sort >have &&
	# Every 202 is there; a delivery the crash cut off before its answer may be too.
	comm -23 want have >missing &&
	test_must_be_empty missing &&
	db "SELECT delivery FROM deployments WHERE delivery LIKE '"'"'burst-%'"'"' GROUP BY delivery HAVING count(*) > 1" >twice &&
	test_must_be_empty twice &&
	test "$(db "SELECT count(*) FROM deployments WHERE delivery LIKE '"'"'burst-%'"'"'")" = "$(wc -l <have)"
'

test_expect_success 'after the restart a redelivery of a 202 is a duplicate and stores nothing' '
	d=$(head -n 1 accepted) &&
	before=$(db "SELECT count(*) FROM deployments") &&
	push_json refs/heads/main 1234567890abcdef1234567890abcdef12345678 &&
	DELIVERY=$d github_push &&
	test "$(cat status)" = 200 &&
	jq -e ".duplicate > 0" out &&
	test "$(db "SELECT count(*) FROM deployments")" = "$before"
'

test_done
