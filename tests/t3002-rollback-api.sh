#!/bin/sh
# Manual rollback and redeploy through the API and the CLI.

test_description='rollback, redeploy, the API and the CLI'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

short () {
	echo "$1" | cut -c1-12
}

test_expect_success 'deploy v1 (green) and v2 (blue)' '
	setup_stack &&
	commit_push README v1 "v1" && V1=$COMMIT &&
	wait_status $DEPLOYMENT succeeded &&
	commit_push README v2 "v2" && V2=$COMMIT &&
	wait_status $DEPLOYMENT succeeded &&
	proxy_says | grep "color blue, commit $(short $V2)"
'

test_expect_success 'POST rollback sends traffic back to the other color' '
	api POST /api/apps/demo/rollback &&
	test "$(cat status)" = 202 &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	proxy_says | grep "color green, commit $(short $V1)" &&
	test "$(active_color)" = green &&
	test "$(deployment $id "\"\(.kind) \(.commit)\"")" = "rollback $V1" &&
	deployment $id ".steps[].name" >steps &&
	printf "%s\n" verify switch confirm >expect &&
	test_cmp expect steps
'

test_expect_success 'GET /api/deployments/ID shows the rollback with its steps' '
	api GET /api/deployments/$id &&
	test "$(cat status)" = 200 &&
	test_grep "\"kind\":\"rollback\"" out &&
	test_grep "\"status\":\"succeeded\"" out &&
	test_grep "\"name\":\"switch\",\"status\":\"succeeded\"" out
'

test_expect_success 'turnout rollback APP --wait (CLI) goes back again and exits 0' '
	TURNOUT_CONFIG=$PWD/turnout.conf turnout rollback demo --wait >cli.out &&
	cat cli.out &&
	test_grep "^deployment [0-9]* queued: rollback of demo" cli.out &&
	test_grep "switch  *succeeded" cli.out &&
	test_grep "^deployment [0-9]* succeeded" cli.out &&
	proxy_says | grep "color blue, commit $(short $V2)"
'

test_expect_success 'rollback when the other color is not running redeploys its release' '
	TURNOUT_COLOR=green ./app.sh stop &&
	api POST /api/apps/demo/rollback &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	deployment_log $id >log &&
	test_grep "green is not running: redeploying $(short $V1) instead" log &&
	proxy_says | grep "color green, commit $(short $V1)"
'

test_expect_success 'rollback never picks a bad release' '
	commit_push fail-confirm yes "bad one" && BAD=$COMMIT &&
	wait_status $DEPLOYMENT rolled_back &&
	test "$(app_get .colors.blue.commit)" = "$BAD" &&
	api POST /api/apps/demo/rollback &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	deployment_log $id >log &&
	test_grep "holds no good release: redeploying the last good one, $(short $V2)" log &&
	proxy_says | grep "color blue, commit $(short $V2)" &&
	(cd work && git rm -q fail-confirm && git commit -q -m "fix" && git push -q origin main)
'

test_expect_success 'POST deploy with a short commit redeploys that commit' '
	api POST /api/apps/demo/deploy "{\"commit\":\"$(echo $V1 | cut -c1-8)\"}" &&
	test "$(cat status)" = 202 &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	test "$(deployment $id "\"\(.kind) \(.commit)\"")" = "redeploy $V1" &&
	test "$(app_get .live_commit)" = "$V1"
'

test_expect_success 'turnout deploy APP --wait deploys the branch head' '
	head=$(git -C work rev-parse HEAD) &&
	TURNOUT_CONFIG=$PWD/turnout.conf turnout deploy demo --wait >cli.out &&
	test_grep "^deployment [0-9]* succeeded" cli.out &&
	test "$(app_get .live_commit)" = "$head"
'

test_expect_success 'turnout deploy --wait of a failing commit exits 1' '
	TURNOUT_CONFIG=$PWD/turnout.conf test_expect_code 1 turnout deploy demo 0000000000000000000000000000000000000abc --wait >cli.out &&
	test_grep "^deployment [0-9]* failed" cli.out
'

test_expect_success 'API refusals: status, JSON error, nothing queued' '
	n=$(count_deployments) &&
	curl -sS -o out -w "%{http_code}" -X POST "$TURNOUT_URL/api/apps/demo/rollback" >status &&
	test "$(cat status)" = 401 && test_grep "Bearer" out &&
	curl -sS -o out -w "%{http_code}" -X POST -H "Authorization: Bearer wrong" "$TURNOUT_URL/api/apps/demo/rollback" >status &&
	test "$(cat status)" = 401 &&
	api POST /api/apps/nope/rollback && test "$(cat status)" = 404 && test_grep "no such app" out &&
	api POST /api/apps/demo/deploy "{not json" && test "$(cat status)" = 400 && test_grep "JSON object" out &&
	api POST /api/apps/demo/deploy "{\"commit\":\"\$(touch pwned)\"}" && test "$(cat status)" = 400 &&
	api POST /api/apps/demo/deploy "{\"commit\":\"abcd\",\"branch\":\"x\"}" && test "$(cat status)" = 400 &&
	api GET /api/apps/demo/deploy && test "$(cat status)" = 405 &&
	api GET /api/deployments/abc && test "$(cat status)" = 400 &&
	api GET /api/deployments/0 && test "$(cat status)" = 400 &&
	api GET /api/deployments/99999 && test "$(cat status)" = 404 &&
	api GET /api/nothing && test "$(cat status)" = 404 &&
	test_path_is_missing pwned &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'CLI: unreachable daemon exits 3 naming the URL; bad token exits 2' '
	TURNOUT_URL=http://127.0.0.1:1 TURNOUT_TOKEN=x test_expect_code 3 turnout rollback demo 2>err &&
	test_grep "cannot reach the daemon at http://127.0.0.1:1" err &&
	TURNOUT_URL=$TURNOUT_URL TURNOUT_TOKEN=wrong test_expect_code 2 turnout rollback demo 2>err &&
	test_grep "refused the token" err &&
	test_expect_code 2 turnout rollback 2>err &&
	test_grep "usage: turnout rollback APP" err
'

test_done
