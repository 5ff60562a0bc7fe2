#!/bin/sh
# Telling the forge and the team: each forge's documented status request
# and the Standard Webhooks-signed notification, checked by a stand-in
# receiver on loopback; 500s and timeouts are retried, deliveries survive
# a restart, and a deployment never waits for them.

test_description='forge statuses and notifications'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

if ! command -v node >/dev/null
then
	skip_all='node is missing (the stand-in receiver)'
	test_done
fi

FORGE_TOKEN=forge-token-not-for-logs
NOTIFY_KEY=whsec_c2VjcmV0LWtleS0wMTIzNDU2Nzg5

# Starts the receiver on port $1 (0: any); sets RECV_PORT, RECV_PID.
start_recv () {
	rm -f recv.port || return 1
	# (alone: in an && list, $! would be a subshell's, not node's)
	node "$TEST_DIRECTORY/forge-recv.js" "$1" recv.port recv.log recv.control &
	RECV_PID=$!
	test_atexit 'kill $RECV_PID 2>/dev/null || :'
	test_wait_until 10 test -s recv.port &&
	RECV_PORT=$(cat recv.port)
}

stop_recv () {
	kill "$RECV_PID" && wait "$RECV_PID" 2>/dev/null
	:
}

# How many requests reached the receiver at PATH (a jq regex).
recv_count () {
	jq -s --arg p "$1" "[.[] | select(.path | test(\$p))] | length" recv.log
}

recv_has () {
	test "$(recv_count "$1")" -ge "$2"
}

# The Nth (from 0) request to PATH as jq FILTER sees it.
recv_get () {
	jq -s -r --arg p "$1" "[.[] | select(.path | test(\$p))][$2] | $3" recv.log
}

# Everything the outbox did about deployment ID: target event state attempts.
outbox_of () {
	deployment "$1" '.notifications[] | "\(.target) \(.event) \(.state) \(.attempts)"'
}

all_delivered () {
	outbox_of "$1" >outbox.now &&
	test -s outbox.now &&
	! grep -v " delivered " outbox.now
}

# Switches the app's status keys: status = $1, the API under /$2 of the receiver.
use_forge () {
	sed -i "/^status/d" turnout.conf &&
	printf 'status = %s\nstatus_api = http://127.0.0.1:%s/%s\nstatus_repo = octo/demo\nstatus_token_file = forge.token\n' \
		"$1" "$RECV_PORT" "$2" >>turnout.conf &&
	turnout check-config -c turnout.conf &&
	_n=$(grep -c " reloaded " turnout.log || :) &&
	kill -HUP "$TURNOUT_PID" &&
	test_wait_until 20 reloaded_past "$_n"
}

reloaded_past () {
	test "$(grep -c " reloaded " turnout.log)" -gt "$1"
}

test_expect_success 'set up: GitHub Deployments and a signed notify_url' '
	start_recv 0 &&
	echo "$FORGE_TOKEN" >forge.token && chmod 600 forge.token &&
	echo "$NOTIFY_KEY" >notify.secret && chmod 600 notify.secret &&
	setup_stack "status = github" "status_api = http://127.0.0.1:$RECV_PORT/gh" \
		"status_repo = octo/demo" "status_token_file = forge.token" \
		"notify_url = http://127.0.0.1:$RECV_PORT/notify" \
		"notify_secret_file = notify.secret" &&
	sed -i "s|^\[app|public_url = https://deploy.example.com\n\n[app|" turnout.conf &&
	stop_turnout && start_turnout &&
	turnout check-config -c turnout.conf
'

test_expect_success 'GitHub: a Deployment of the commit, then its statuses in_progress and success' '
	commit_push README v1 "first" &&
	id=$DEPLOYMENT &&
	wait_status $id succeeded &&
	test_wait_until 20 all_delivered $id &&
	test "$(recv_count "^/gh/repos/octo/demo/deployments$")" = 1 &&
	recv_get "^/gh/repos/octo/demo/deployments$" 0 . >create.json &&
	test "$(jq -r .method create.json)" = POST &&
	test "$(jq -r ".headers.authorization" create.json)" = "Bearer $FORGE_TOKEN" &&
	test "$(jq -r ".headers.accept" create.json)" = "application/vnd.github+json" &&
	test "$(jq -r ".headers[\"x-github-api-version\"]" create.json)" = 2022-11-28 &&
	test "$(jq -r ".headers[\"user-agent\"]" create.json)" = "turnout/$(turnout version | sed -n "s/^turnout //p")" &&
	jq -r .body create.json >body.json &&
	test "$(jq -r .ref body.json)" = "$COMMIT" &&
	test "$(jq -r .environment body.json)" = demo &&
	test "$(jq -c .required_contexts body.json)" = "[]" &&
	test "$(jq -r .auto_merge body.json)" = false &&
	st=^/gh/repos/octo/demo/deployments/4242/statuses$ &&
	test "$(recv_count "$st")" = 2 &&
	test "$(recv_get "$st" 0 ".body | fromjson | .state")" = in_progress &&
	test "$(recv_get "$st" 1 ".body | fromjson | .state")" = success &&
	test "$(recv_get "$st" 1 ".body | fromjson | .log_url")" = "https://deploy.example.com/#app-demo" &&
	test "$(recv_get "$st" 1 ".body | fromjson | .environment")" = demo &&
	test "$(recv_get "$st" 1 ".body | fromjson | .description")" = "#$id is live on green" &&
	! grep "$FORGE_TOKEN" turnout.log
'

test_expect_success 'notify_url: deployment.started and .succeeded, signed the Standard Webhooks way' '
	test "$(recv_count "^/notify$")" = 2 &&
	for i in 0 1
	do
		recv_get "^/notify$" $i . >n.json &&
		jq -j .body n.json >n.body &&
		msg=$(jq -r ".headers[\"webhook-id\"]" n.json) &&
		ts=$(jq -r ".headers[\"webhook-timestamp\"]" n.json) &&
		printf "%s.%s." "$msg" "$ts" >signed &&
		cat n.body >>signed &&
		want=$(hmac_b64_key "${NOTIFY_KEY#whsec_}" signed) &&
		test "$(jq -r ".headers[\"webhook-signature\"]" n.json)" = "v1,$want" &&
		test "$(jq -r ".headers[\"content-type\"]" n.json)" = application/json &&
		test "$((ts - $(date +%s)))" -le 5 &&
		test "$(jq -r .data.deployment n.body)" = "$id" &&
		test "$(jq -r .data.commit n.body)" = "$COMMIT" &&
		test "$(jq -r .data.app n.body)" = demo || return 1
	done &&
	test "$(recv_get "^/notify$" 0 ".body | fromjson | .type")" = deployment.started &&
	test "$(recv_get "^/notify$" 1 ".body | fromjson | .type")" = deployment.succeeded &&
	test "$(recv_get "^/notify$" 1 ".body | fromjson | .data.color")" = green &&
	test "$(recv_get "^/notify$" 0 ".headers[\"webhook-id\"]")" != "$(recv_get "^/notify$" 1 ".headers[\"webhook-id\"]")" &&
	# A notify URL may hold a secret (Slack puts one in its path): never logged.
	! grep "/notify" turnout.log
'

test_expect_success 'GitLab: commit status running, then success' '
	use_forge gitlab gl &&
	commit_push README v2 "second" &&
	wait_status $DEPLOYMENT succeeded &&
	test_wait_until 20 all_delivered $DEPLOYMENT &&
	p="^/gl/projects/octo%2Fdemo/statuses/$COMMIT$" &&
	test "$(recv_count "$p")" = 2 &&
	test "$(recv_get "$p" 0 ".headers[\"private-token\"]")" = "$FORGE_TOKEN" &&
	test "$(recv_get "$p" 0 ".body | fromjson | .state")" = running &&
	test "$(recv_get "$p" 1 ".body | fromjson | .state")" = success &&
	test "$(recv_get "$p" 1 ".body | fromjson | .name")" = turnout/demo &&
	test "$(recv_get "$p" 1 ".body | fromjson | .target_url")" = "https://deploy.example.com/#app-demo"
'

test_expect_success 'Gitea: commit status pending, then success' '
	use_forge gitea gt &&
	commit_push README v3 "third" &&
	wait_status $DEPLOYMENT succeeded &&
	test_wait_until 20 all_delivered $DEPLOYMENT &&
	p="^/gt/repos/octo/demo/statuses/$COMMIT$" &&
	test "$(recv_count "$p")" = 2 &&
	test "$(recv_get "$p" 0 ".headers.authorization")" = "token $FORGE_TOKEN" &&
	test "$(recv_get "$p" 0 ".body | fromjson | .state")" = pending &&
	test "$(recv_get "$p" 1 ".body | fromjson | .state")" = success &&
	test "$(recv_get "$p" 1 ".body | fromjson | .context")" = turnout/demo
'

test_expect_success 'Bitbucket: build status INPROGRESS, then SUCCESSFUL' '
	use_forge bitbucket bb &&
	commit_push README v4 "fourth" &&
	wait_status $DEPLOYMENT succeeded &&
	test_wait_until 20 all_delivered $DEPLOYMENT &&
	p="^/bb/repositories/octo/demo/commit/$COMMIT/statuses/build$" &&
	test "$(recv_count "$p")" = 2 &&
	test "$(recv_get "$p" 0 ".headers.authorization")" = "Bearer $FORGE_TOKEN" &&
	test "$(recv_get "$p" 0 ".body | fromjson | .state")" = INPROGRESS &&
	test "$(recv_get "$p" 1 ".body | fromjson | .state")" = SUCCESSFUL &&
	test "$(recv_get "$p" 1 ".body | fromjson | .key")" = turnout-demo &&
	test "$(recv_get "$p" 1 ".body | fromjson | .url")" = "https://deploy.example.com/#app-demo"
'

test_expect_success 'a failed deployment: GitHub commit status failure, deployment.failed' '
	use_forge github-commit ghc &&
	commit_push unhealthy yes "healthz says 503" &&
	wait_status $DEPLOYMENT failed &&
	test_wait_until 20 all_delivered $DEPLOYMENT &&
	p="^/ghc/repos/octo/demo/statuses/$COMMIT$" &&
	test "$(recv_count "$p")" = 2 &&
	test "$(recv_get "$p" 0 ".body | fromjson | .state")" = pending &&
	test "$(recv_get "$p" 1 ".body | fromjson | .state")" = failure &&
	recv_get "$p" 1 ".body | fromjson | .description" >desc &&
	test_grep "^#$DEPLOYMENT failed: " desc &&
	test "$(wc -c <desc)" -le 141 &&
	test "$(jq -s -r "[.[] | select(.path == \"/notify\")][-1].body | fromjson | .type" recv.log)" = deployment.failed &&
	commit_rm unhealthy
'

test_expect_success 'four 500s: retried with backoff until delivered; the API shows each attempt' '
	echo "fail 4" >recv.control &&
	commit_push README v5 "retried" &&
	wait_status $DEPLOYMENT succeeded &&
	test_wait_until 30 all_delivered $DEPLOYMENT &&
	outbox_of $DEPLOYMENT >rows &&
	test "$(awk "{ n += \$4 } END { print n }" rows)" = 8 &&
	deployment $DEPLOYMENT ".notifications[0].last_status" >last &&
	test "$(cat last)" -ge 200 &&
	test_grep "of deployment $DEPLOYMENT (started) failed (HTTP 500); retry in 1 s" turnout.log &&
	! grep "Server Error" turnout.log
'

test_expect_success 'an answer that never comes: the attempt times out and is retried' '
	sed -i "s/^notify_url = .*/&\nnotify_timeout = 1/" turnout.conf &&
	_n=$(grep -c " reloaded " turnout.log || :) &&
	kill -HUP "$TURNOUT_PID" &&
	test_wait_until 20 reloaded_past "$_n" &&
	echo "hang 1" >recv.control &&
	commit_push README v6 "slow receiver" &&
	wait_status $DEPLOYMENT succeeded &&
	test_wait_until 30 all_delivered $DEPLOYMENT &&
	test_grep "of deployment $DEPLOYMENT (started) failed (Operation timed out" turnout.log
'

test_expect_success 'the receiver down: deliveries wait in the database across a restart' '
	stop_recv &&
	commit_push README v7 "while nobody listens" &&
	id=$DEPLOYMENT &&
	wait_status $id succeeded &&
	test_wait_until 10 grep -q "of deployment $id (started) failed" turnout.log &&
	api GET /metrics &&
	test_grep "^turnout_notifications{app=\"demo\",target=\"notify\",state=\"pending\"} 2$" out &&
	test_grep "^turnout_notifications{app=\"demo\",target=\"forge\",state=\"failed\"} 0$" out &&
	stop_turnout &&
	test "$(db "SELECT count(*) FROM outbox WHERE deployment = $id AND state = '"'"'pending'"'"'")" = 4 &&
	start_recv "$RECV_PORT" &&
	start_turnout &&
	test_wait_until 60 all_delivered $id &&
	test "$(recv_count "^/notify$")" -ge 2
'

test_expect_success 'a rollback is told too: kind rollback, the color it went back to' '
	api POST /api/apps/demo/rollback &&
	test "$(cat status)" = 202 &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	test_wait_until 20 all_delivered $id &&
	jq -s -r "[.[] | select(.path == \"/notify\")][-1].body" recv.log >rb.json &&
	test "$(jq -r .type rb.json)" = deployment.succeeded &&
	test "$(jq -r .data.kind rb.json)" = rollback &&
	test "$(jq -r .data.deployment rb.json)" = "$id" &&
	test "$(jq -r .data.color rb.json)" = "$(deployment $id .color)"
'

test_expect_success 'notify_format = slack: a {"text": ...} line' '
	sed -i "s/^notify_timeout = 1/notify_format = slack/" turnout.conf &&
	_n=$(grep -c " reloaded " turnout.log || :) &&
	kill -HUP "$TURNOUT_PID" &&
	test_wait_until 20 reloaded_past "$_n" &&
	commit_push README v8 "for slack" &&
	wait_status $DEPLOYMENT succeeded &&
	test_wait_until 20 all_delivered $DEPLOYMENT &&
	jq -s -r "[.[] | select(.path == \"/notify\")][-1].body" recv.log >slack.json &&
	test "$(jq -r "keys | join(\",\")" slack.json)" = text &&
	jq -r .text slack.json >slack.txt &&
	test_grep "^demo: #$DEPLOYMENT is live on [a-z]* ([0-9a-f]\{12\}) https://deploy.example.com/#app-demo$" slack.txt
'

started_told () {
	test "$(db "SELECT count(*) FROM outbox WHERE deployment = $1 AND event = 'started' AND state = 'delivered'")" = 2
}

test_expect_success 'kill -9 mid-deployment: at restart both are told it was interrupted' '
	commit_push build.sh "while test ! -f \"\$RUN/go\"; do sleep 0.05; done" "held, then killed" &&
	id=$DEPLOYMENT &&
	wait_status $id running &&
	test_wait_until 20 started_told $id &&
	net=$(net_pid) &&
	kill -9 $TURNOUT_PID &&
	{ wait $TURNOUT_PID 2>/dev/null || :; } && TURNOUT_PID= &&
	test_wait_until 5 is_gone $net &&
	touch run/go &&
	start_turnout &&
	test "$(deployment $id .status)" = interrupted &&
	test_wait_until 30 all_delivered $id &&
	outbox_of $id >rows &&
	test_grep "^forge interrupted delivered 1$" rows &&
	test_grep "^notify interrupted delivered 1$" rows &&
	p="^/ghc/repos/octo/demo/statuses/$(deployment $id .commit)$" &&
	test "$(recv_get "$p" -1 ".body | fromjson | .state")" = error &&
	test "$(recv_get "$p" -1 ".body | fromjson | .description")" = "#$id interrupted (turnout stopped)"
'

test_expect_success 'check-config: what the status and notify keys need' '
	cp turnout.conf bad.conf &&
	sed -i "/^status_token_file/d" bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>&1 &&
	test_grep "status. needs .status_token_file" out &&
	cp turnout.conf bad.conf &&
	sed -i "s/^status = .*/status = gitea/; /^status_api/d" bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>&1 &&
	test_grep "status = gitea needs .status_api" out &&
	cp turnout.conf bad.conf &&
	sed -i "s/^status = .*/status = gogs/" bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>&1 &&
	test_grep "status. must be github, github-commit, gitlab, gitea or bitbucket" out &&
	echo "not-a-whsec" >bad.secret &&
	sed "s/^notify_secret_file = .*/notify_secret_file = bad.secret/" turnout.conf >bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>&1 &&
	test_grep "notify secret must be whsec_" out &&
	! grep "not-a-whsec" out &&
	sed "/^notify_url/d" turnout.conf >bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>&1 &&
	test_grep "notify_secret_file. without .notify_url" out
'

test_done
