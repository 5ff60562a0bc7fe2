#!/bin/sh
# The dashboard in real headless Chromium: log in, read the history, roll
# back and redeploy with clicks, CSRF refused; screenshots kept.

test_description='the dashboard in a real browser'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
PLAYWRIGHT_CORE=${PLAYWRIGHT_CORE:-$TURNOUT_BUILD_DIR/node_modules/playwright-core}
export CHROMIUM PLAYWRIGHT_CORE
ARTIFACTS=$TURNOUT_BUILD_DIR/tests/artifacts

missing=
test_have_prereq NGINX || missing="nginx"
test -x "$CHROMIUM" || missing="$missing chromium"
command -v node >/dev/null || missing="$missing node"
test -d "$PLAYWRIGHT_CORE" || missing="$missing playwright-core (contrib/check.sh installs it)"
if test -n "$missing"
then
	# In CI a missing browser is a failure, not a reason to skip.
	if test -n "${CI:-}"
	then
		test_expect_success 'browser test prerequisites' 'echo "missing:$missing" && false'
		test_done
	fi
	skip_all="missing:$missing"
	test_done
fi

test_expect_success 'a stack with two deployments' '
	setup_stack &&
	commit_push README v1 "first release" && wait_status $DEPLOYMENT succeeded &&
	commit_push README v2 "second release" && wait_status $DEPLOYMENT succeeded &&
	V1=$(git -C work rev-parse HEAD~1) &&
	test "$(active_color)" = blue
'

test_expect_success 'log in, roll back and redeploy with clicks in Chromium' '
	mkdir -p "$ARTIFACTS" &&
	# Whatever its status, show what the browser saw; done=1 decides.
	{ node "$TEST_DIRECTORY/browser/dashboard.js" "$TURNOUT_URL" test-token \
		"$ARTIFACTS/dashboard.png" >seen 2>browser.err || :; } &&
	cat seen browser.err &&
	test_grep "^done=1$" seen
'

test_expect_success 'the login form came first, a wrong token was refused' '
	test_grep "^login_shown=1$" seen &&
	test_grep "^wrong_token_error=wrong token$" seen &&
	test_grep "^logged_in=1$" seen
'

test_expect_success 'the page showed the live color, commit, history and chart' '
	test_grep "^color_before=blue$" seen &&
	test_grep "^live_commit=$(git -C work rev-parse HEAD | cut -c1-12)$" seen &&
	test_grep "^history_rows=2$" seen &&
	test_grep "^chart_bars=2$" seen
'

test_expect_success 'the session cookie is HttpOnly and a POST without CSRF is 403' '
	test_grep "^cookie_visible_to_js=false$" seen &&
	test_grep "^post_without_csrf=403$" seen
'

test_expect_success 'both colors were shown, and Rollback said where it goes' '
	V2=$(git -C work rev-parse HEAD | cut -c1-12) && v1=$(echo $V1 | cut -c1-12) &&
	test_grep "^color_blue=blue · live · $V2 · port $BLUE_PORT$" seen &&
	test_grep "^color_green=green · warm · $v1 · port $GREEN_PORT$" seen &&
	test_grep "^rollback_label=Rollback to green ($v1)$" seen
'

test_expect_success 'Rollback asked for confirmation and the color flipped' '
	test_grep "^dialog=Send demo traffic back to green, which runs $(echo $V1 | cut -c1-12)?$" seen &&
	test_grep "^rollback_color_changed=true$" seen &&
	test_grep "^log_has_switch=true$" seen &&
	# nginx_test + nginx_reload ran inside the switch step.
	test_grep "^switch_step=switch · succeeded · [0-9.]* s ([0-9.]* s in your commands)$" seen &&
	test "$(api_get "/api/apps/demo/deployments?limit=2" ".deployments[1].kind")" = rollback
'

test_expect_success 'Redeploy of the oldest row made it live again' '
	test_grep "^redeploy_commit=$(echo $V1 | cut -c1-12)$" seen &&
	test_grep "^redeploy_color_changed=true$" seen &&
	test_grep "^live_commit_after=$(echo $V1 | cut -c1-12)$" seen &&
	test "$(api_get "/api/apps/demo/deployments?limit=1" ".deployments[0] | \"\(.kind) \(.status)\"")" = "redeploy succeeded"
'

test_expect_success 'a failed health check: the page shows why, and what Rollback would do' '
	commit_push unhealthy yes "healthz says 503" && bad=$DEPLOYMENT &&
	wait_status $bad failed &&
	good=$(git -C work rev-parse HEAD~1 | cut -c1-12) &&
	{ node "$TEST_DIRECTORY/browser/dashboard-failure.js" "$TURNOUT_URL" test-token \
		"$ARTIFACTS/dashboard-failure.png" >seen-failure 2>browser.err || :; } &&
	cat seen-failure browser.err &&
	test_grep "^done=1$" seen-failure &&
	test_grep "^failed_step=verify · failed" seen-failure &&
	test_grep "^failed_detail=green (port $GREEN_PORT) is not healthy after 5 s and [0-9]* attempts; the last: HTTP 503: not ready$" seen-failure &&
	test_grep "^color_green=green · stopped · " seen-failure &&
	test_grep "^rollback_label=Rollback: redeploy [0-9a-f]* to green$" seen-failure
'

# Waits until the browser script said key=1 in FILE.
said () {
	grep -q "^$2=1$" "$1"
}

test_expect_success 'Freeze from the page: the prompts, the note, the deployment waits; Unfreeze' '
	commit_rm unhealthy &&
	{ node "$TEST_DIRECTORY/browser/dashboard-freeze.js" "$TURNOUT_URL" test-token \
		"$ARTIFACTS/dashboard-freeze.png" "incident 7" 2h >seen-freeze 2>browser.err &
	} &&
	NODE_PID=$! &&
	test_wait_until 30 said seen-freeze frozen &&
	test "$(app_get .frozen.by)" = dashboard &&
	test "$(app_get .frozen.reason)" = "incident 7" &&
	test "$(app_get ".frozen.until - now * 1000 | . > 7100000 and . < 7300000")" = true &&
	push_webhook "$(git -C work rev-parse HEAD)" "healthy again" &&
	held=$DEPLOYMENT &&
	{ wait $NODE_PID || :; } &&
	cat seen-freeze browser.err &&
	test_grep "^done=1$" seen-freeze &&
	test_grep "^button_before=Freeze…$" seen-freeze &&
	test_grep "^dialog_prompt=Freeze demo: why? (shown to everyone)$" seen-freeze &&
	test_grep "^dialog_confirm=Freeze demo until 2h: incident 7?$" seen-freeze &&
	test_grep "^frozen_note=Frozen by dashboard [0-9]* s ago, until .*: incident 7$" seen-freeze &&
	test_grep "^button_frozen=Unfreeze$" seen-freeze &&
	test_grep "^frozen_note_queued=.*incident 7 · 1 queued, waiting$" seen-freeze &&
	test_grep "^dialog_confirm=Unfreeze demo (queued deployments start)?$" seen-freeze &&
	test_grep "^button_after=Freeze…$" seen-freeze &&
	test "$(app_get .frozen)" = null &&
	wait_status $held succeeded
'

test_expect_success 'what the notify_url was told shows under the deployment, failed attempts too' '
	sed -i "s|^health_timeout = .*|&\nnotify_url = http://127.0.0.1:1/hook|" turnout.conf &&
	kill -HUP "$TURNOUT_PID" &&
	test_wait_until 20 grep -q " reloaded " turnout.log &&
	commit_push README v3 "told nobody" &&
	wait_status $DEPLOYMENT succeeded &&
	{ node "$TEST_DIRECTORY/browser/dashboard-told.js" "$TURNOUT_URL" test-token \
		"$ARTIFACTS/dashboard-told.png" >seen-told 2>browser.err || :; } &&
	cat seen-told browser.err &&
	test_grep "^done=1$" seen-told &&
	test_grep "^told=notify · started · pending after [0-9]* attempts\{0,1\} · last: Failed to connect to 127.0.0.1 port 1 .* · next try in [0-9]* s$" seen-told &&
	test "$(deployment $DEPLOYMENT ".notifications[0] | \"\(.target) \(.event) \(.state)\"")" = "notify started pending"
'

test_expect_success 'readable on a phone, screenshots kept' '
	test_grep "^phone_overflow=false$" seen &&
	test -s "$ARTIFACTS/dashboard.png" &&
	test -s "$ARTIFACTS/dashboard-phone.png"
'

test_done
