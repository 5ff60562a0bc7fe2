#!/bin/sh
# Bodies over max_body, streamed or declared, are refused before they are
# buffered; other paths and methods answer with JSON errors.

test_description='webhook body limits and error answers'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

test_expect_success 'start with max_body = 64k' '
	SERVER_EXTRA="max_body = 64k" write_config &&
	start_turnout
'

test_expect_success 'a declared Content-Length over max_body is 413 at once' '
	head -c 100000 /dev/zero | tr "\0" a >big &&
	hook demo -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=00" --data-binary @big &&
	test "$(cat status)" = 413 &&
	test_grep "\"error\":\"body is larger than max_body\"" out &&
	test "$(count_deployments)" = 0
'

test_expect_success 'a chunked body that grows past max_body is 413' '
	hook demo -H "X-GitHub-Event: push" -H "Transfer-Encoding: chunked" --data-binary @big &&
	test "$(cat status)" = 413 &&
	test "$(count_deployments)" = 0
'

test_expect_success 'a 50 MB chunked stream is cut off and does not grow the daemon' '
	rss_before=$(awk "/^VmRSS/ {print \$2}" /proc/$TURNOUT_PID/status) &&
	# The daemon closes the connection once the stream is 2 x max_body
	# long: curl fails, and saw no final answer (000, or 100 from "100
	# Continue").
	{ head -c 50000000 /dev/zero |
	  curl -sS -o out -w "%{http_code}" -X POST -H "X-GitHub-Event: push" \
		-H "Transfer-Encoding: chunked" --data-binary @- "$TURNOUT_URL/hooks/demo" >status ||
	  :; } &&
	case $(cat status) in 000|100) ;; *) false ;; esac &&
	test_grep "connection closed" turnout.log &&
	rss_after=$(awk "/^VmRSS/ {print \$2}" /proc/$TURNOUT_PID/status) &&
	echo "rss $rss_before kB -> $rss_after kB" &&
	test $((rss_after - rss_before)) -lt 8192
'

test_expect_success 'a body just under max_body is read and judged on its proof' '
	head -c 60000 /dev/zero | tr "\0" a >fits &&
	hook demo -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=00" --data-binary @fits &&
	test "$(cat status)" = 401
'

test_expect_success 'the daemon still answers after the refusals' '
	curl -sS -o out -w "%{http_code}" "$TURNOUT_URL/healthz" >status &&
	test "$(cat status)" = 200
'

test_expect_success 'an unknown path is 404 JSON' '
	curl -sS -D headers -o out -w "%{http_code}" "$TURNOUT_URL/nope" >status &&
	test "$(cat status)" = 404 &&
	test_grep -i "^content-type: application/json" headers &&
	test_grep "\"error\":" out
'

test_expect_success 'PUT, DELETE and GET on a hook are 405' '
	for m in PUT DELETE GET
	do
		curl -sS -o out -w "%{http_code}" -X $m "$TURNOUT_URL/hooks/demo" >status &&
		test "$(cat status)" = 405 || return 1
	done
'

test_expect_success 'POST /hooks/ without an app name is 404' '
	hook "" -H "X-GitHub-Event: push" -d x &&
	test "$(cat status)" = 404
'

test_expect_success 'nothing was stored by any of this' '
	test "$(count_deployments)" = 0
'

test_done
