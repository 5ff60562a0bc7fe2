#!/bin/sh
# switch = nginx: `nginx -s reload` returns before the reload takes effect;
# the switch waits for nginx's new workers.

test_description='the nginx switch ends once new workers serve'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

# restart_with SED-SCRIPT: edits turnout.conf and restarts turnout.
restart_with () {
	stop_turnout &&
	sed -i "$1" turnout.conf &&
	start_turnout
}

test_expect_success 'without confirm, each deployment ends with the new release served' '
	setup_stack &&
	restart_with "/^confirm = /d" &&
	for n in 1 2 3 4
	do
		commit_push README "v$n" "v$n" &&
		wait_status $DEPLOYMENT succeeded &&
		proxy_says | grep "commit $(echo $COMMIT | cut -c1-12)" &&
		deployment_log $DEPLOYMENT >log &&
		test_grep "nginx.s new workers took over [0-9]* ms after the reload" log &&
		# nginx tells old workers to stop 100 ms after it starts new ones:
		# a switch that waited for that cannot be quicker.
		test "$(deployment_step $DEPLOYMENT switch ".finished_at - .started_at >= 100")" = true ||
		return 1
	done
'

test_expect_success 'a reload that never takes effect fails the switch and puts the upstream file back' '
	cp nginx/upstream.conf upstream.before &&
	live=$(active_color) &&
	restart_with "s|^nginx_reload = .*|nginx_reload = true|; \$a switch_timeout = 1" &&
	commit_push README v5 "v5" &&
	wait_status $DEPLOYMENT failed &&
	test_cmp upstream.before nginx/upstream.conf &&
	test "$(active_color)" = $live &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "started no new worker within [0-9]* ms of the reload" log &&
	test_grep "upstream file restored and nginx reloaded with it" log
'

test_expect_success 'without a readable nginx_pid the switch says it cannot tell; the confirm wants a streak' '
	restart_with "s|^nginx_reload = true|nginx_reload = $PWD/nginx.sh -s reload|; s|^nginx_pid = .*|nginx_pid = $PWD/no-such.pid|; \$a confirm = http://127.0.0.1:$NGINX_PORT/confirm" &&
	commit_push README v6 "v6" &&
	wait_status $DEPLOYMENT succeeded &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "cannot tell when the reload takes effect (cannot read nginx.s pid from nginx_pid" log &&
	# Old workers may still answer for a moment: several answers in a row.
	test_grep "the proxy answers from [a-z]* after [0-9]* ms, 5 times in a row (the first answer from it came after [0-9]* ms; HTTP 200)" log
'

test_done
