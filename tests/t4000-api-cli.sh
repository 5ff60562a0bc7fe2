#!/bin/sh
# SPEC §7 API (auth, paging, errors, sessions with CSRF) and SPEC §2 CLI.

test_description='the JSON API and the CLI'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_expect_success 'three deployments to look at' '
	setup_stack &&
	commit_push README v1 "first" && wait_status $DEPLOYMENT succeeded && D1=$DEPLOYMENT &&
	commit_push README v2 "second" && wait_status $DEPLOYMENT succeeded && D2=$DEPLOYMENT &&
	commit_push README v3 "third" && wait_status $DEPLOYMENT succeeded && D3=$DEPLOYMENT &&
	C3=$COMMIT
'

test_expect_success 'GET /api/apps: live color, commit, since, state, queue' '
	api GET /api/apps &&
	test "$(cat status)" = 200 &&
	test_grep "\"name\":\"demo\"" out &&
	test_grep "\"active_color\":\"green\"" out &&
	test_grep "\"live_commit\":\"$C3\"" out &&
	# since: when D3 went live, in ms, between its start and its end
	since=$(jq ".apps[0].since" out) &&
	test "$since" -ge "$(deployment $D3 .started_at)" &&
	test "$since" -le "$(deployment $D3 .finished_at)" &&
	test_grep "\"state\":\"idle\"" out &&
	test_grep "\"queue\":0" out
'

test_expect_success 'history is newest first and pages with limit and before' '
	api GET "/api/apps/demo/deployments?limit=2" &&
	test "$(cat status)" = 200 &&
	sed -n "s/.*\"deployments\":\[{\"id\":\([0-9]*\).*/\1/p" out >first &&
	echo $D3 >expect && test_cmp expect first &&
	test_grep "\"next_before\":$D2" out &&
	api GET "/api/apps/demo/deployments?limit=2&before=$D2" &&
	test_grep "\"id\":$D1" out &&
	! grep "\"id\":$D2," out &&
	test_grep "\"next_before\":null" out
'

test_expect_success 'bad paging values are 400 with the reason' '
	for q in limit=0 limit=101 limit=abc before=-1 before=x "limit=" "before=0"
	do
		api GET "/api/apps/demo/deployments?$q" &&
		test "$(cat status)" = 400 &&
		test_grep "must be a whole number" out || return 1
	done &&
	api GET /api/apps/nope/deployments &&
	test "$(cat status)" = 404
'

test_expect_success 'a log reads in pieces with offset, and says when it is done' '
	api GET "/api/deployments/$D3/log" &&
	n=$(sed -n "s/.*\"next_offset\":\([0-9]*\).*/\1/p" out) &&
	test "$n" -gt 5 &&
	test_grep "\"done\":true" out &&
	api GET "/api/deployments/$D3/log?offset=$((n - 1))" &&
	test_grep "\"next_offset\":$n" out &&
	test_grep "deployment succeeded after" out &&
	api GET "/api/deployments/$D3/log?offset=-4" && test "$(cat status)" = 400 &&
	api GET "/api/deployments/99999/log" && test "$(cat status)" = 404
'

test_expect_success 'no token, a wrong token: 401 everywhere' '
	for path in /api/apps /api/apps/demo/deployments /api/deployments/1 /api/deployments/1/log /metrics
	do
		curl -sS -o out -w "%{http_code}" "$TURNOUT_URL$path" >status &&
		test "$(cat status)" = 401 &&
		curl -sS -o out -w "%{http_code}" -H "Authorization: Bearer nope" "$TURNOUT_URL$path" >status &&
		test "$(cat status)" = 401 &&
		test_grep "\"error\":" out || return 1
	done
'

test_expect_success 'dashboard login: HttpOnly SameSite=Strict cookie, CSRF on POST' '
	curl -sS -D headers -o out -w "%{http_code}" -c jar -X POST -H "Content-Type: application/json" \
		--data-binary "{\"token\":\"test-token\"}" "$TURNOUT_URL/api/session" >status &&
	test "$(cat status)" = 200 &&
	test_grep -i "^set-cookie: turnout_session=[0-9a-f]\{64\}; HttpOnly; SameSite=Strict; Path=/" headers &&
	csrf=$(sed -n "s/.*\"csrf\":\"\([0-9a-f]*\)\".*/\1/p" out) &&
	test -n "$csrf" &&
	curl -sS -o out -w "%{http_code}" -b jar "$TURNOUT_URL/api/apps" >status &&
	test "$(cat status)" = 200 &&
	n=$(count_deployments) &&
	curl -sS -o out -w "%{http_code}" -b jar -X POST "$TURNOUT_URL/api/apps/demo/rollback" >status &&
	test "$(cat status)" = 403 &&
	test_grep "X-CSRF-Token" out &&
	curl -sS -o out -w "%{http_code}" -b jar -X POST -H "X-CSRF-Token: 0000" "$TURNOUT_URL/api/apps/demo/rollback" >status &&
	test "$(cat status)" = 403 &&
	test "$(count_deployments)" = "$n" &&
	curl -sS -o out -w "%{http_code}" -b jar -X POST -H "X-CSRF-Token: $csrf" "$TURNOUT_URL/api/apps/demo/rollback" >status &&
	test "$(cat status)" = 202 &&
	id=$(queued_id) &&
	wait_status $id succeeded
'

test_expect_success 'a wrong login token is 401; logout ends the session' '
	curl -sS -o out -w "%{http_code}" -X POST --data-binary "{\"token\":\"guess\"}" "$TURNOUT_URL/api/session" >status &&
	test "$(cat status)" = 401 &&
	curl -sS -o out -w "%{http_code}" -b jar -c jar -X DELETE "$TURNOUT_URL/api/session" >status &&
	test "$(cat status)" = 200 &&
	curl -sS -o out -w "%{http_code}" -b jar "$TURNOUT_URL/api/apps" >status &&
	test "$(cat status)" = 401
'

test_expect_success '/metrics in Prometheus text' '
	api GET /metrics &&
	test "$(cat status)" = 200 &&
	test_grep "^turnout_up 1$" out &&
	test_grep "^turnout_deployments{app=\"demo\",status=\"succeeded\"} [0-9]" out &&
	test_grep "^turnout_live_color{app=\"demo\",color=\"blue\"} 1$" out
'

test_expect_success 'the dashboard and its assets are served from the binary' '
	curl -sS -D headers -o page -w "%{http_code}" "$TURNOUT_URL/" >status &&
	test "$(cat status)" = 200 &&
	test_grep "<title>turnout</title>" page &&
	test_grep -i "^content-security-policy: default-src .self." headers &&
	curl -sS -o js -w "%{http_code} %{content_type}" "$TURNOUT_URL/app.js" >ct &&
	test_grep "^200 text/javascript" ct &&
	test_grep "X-CSRF-Token" js
'

export TURNOUT_CONFIG="$TRASH_DIRECTORY/turnout.conf"

test_expect_success 'turnout status shows the app, its live color and commit' '
	turnout status >out &&
	test_grep "^APP " out &&
	test_grep "^demo  *blue  *$(git -C work rev-parse HEAD~1 | cut -c1-12) " out &&
	test_expect_code 2 turnout status nope 2>err &&
	test_grep "no app .nope." err
'

test_expect_success 'turnout history APP -n N lists the newest first' '
	turnout history demo -n 2 >out &&
	test_line_count = 3 out &&
	sed -n 2p out | grep "rollback" &&
	sed -n 3p out | grep "^$D3  *succeeded  *push  *$(echo $C3 | cut -c1-12)" &&
	test_expect_code 2 turnout history demo -n 0 2>err &&
	test_grep "from 1 to 100" err
'

test_expect_success 'turnout logs ID prints the log; -f follows one to its end' '
	turnout logs $D3 >out &&
	test_grep "^turnout: step verify" out &&
	test_grep "^started green on $GREEN_PORT" out &&
	commit_push build.sh "echo one; sleep 1; echo two" "slow log" &&
	turnout logs $DEPLOYMENT -f >out &&
	test_grep "^one$" out && test_grep "^two$" out &&
	test_grep "deployment succeeded" out &&
	test_expect_code 2 turnout logs abc 2>err &&
	test_grep "not a deployment id" err
'

test_lazy_prereq TTY 'command -v script >/dev/null'

test_expect_success TTY 'on a terminal, deploy --wait shows the running step ticking' '
	(cd work && echo "sleep 1.5" >build.sh && git commit -qam "slow build" && git push -q origin main) &&
	script -qec "turnout deploy demo --wait" tty.out >/dev/null &&
	test_grep "$(printf "\r")  build    running" tty.out &&
	test_grep "build    succeeded" tty.out &&
	test_grep "deployment [0-9]* succeeded" tty.out
'

test_expect_success 'piped, deploy --wait prints plain lines' '
	turnout deploy demo --wait >plain.out &&
	! grep "$(printf "\r")" plain.out &&
	test_grep "^build    succeeded" plain.out
'

test_expect_success 'turnout cancel ID: a finished one exits 1, a running one is cancelled' '
	test_expect_code 1 turnout cancel $D3 2>err &&
	test_grep "only queued or running" err &&
	commit_push build.sh "sleep 30" "to cancel" &&
	wait_status $DEPLOYMENT running &&
	turnout cancel $DEPLOYMENT >out &&
	test_grep "cancelling" out &&
	wait_status $DEPLOYMENT cancelled &&
	test_expect_code 2 turnout cancel 99999 2>err
'

test_done
