#!/bin/sh
# One deployment at a time: the newest waits, older ones are superseded;
# cancel kills the whole step; kill -9 of the daemon mid-build recovers.

test_description='queue, cancel and recovery'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

SLOW_BUILD='echo $$ >"$RUN/build.pid"; sleep 30 & echo $! >"$RUN/sleep.pid"; wait'

test_expect_success 'set up and deploy a first release' '
	setup_stack &&
	commit_push README v1 "first" &&
	wait_status $DEPLOYMENT succeeded &&
	test "$(active_color)" = green
'

test_expect_success 'cancel during the build kills the whole process group' '
	commit_push build.sh "$SLOW_BUILD" "slow build" &&
	test_wait_until 10 test -s run/sleep.pid &&
	sleeper=$(cat run/sleep.pid) && builder=$(cat run/build.pid) &&
	kill -0 $sleeper &&
	api POST /api/deployments/$DEPLOYMENT/cancel &&
	test "$(cat status)" = 200 &&
	test_grep "\"status\":\"cancelling\"" out &&
	wait_status $DEPLOYMENT cancelled &&
	! is_alive $sleeper &&
	! is_alive $builder &&
	test "$(deployment_step $DEPLOYMENT build)" = cancelled &&
	test "$(active_color)" = green &&
	proxy_says | grep "color green" &&
	rm -f run/sleep.pid run/build.pid
'

test_expect_success 'cancel while the release is written leaves none of it behind' '
	# A smudge filter holds read-tree half-way through the release.
	git --git-dir=state/repos/demo config filter.slow.smudge "touch \"\$RUN/smudging\"; sleep 30; cat" &&
	test_when_finished "git --git-dir=state/repos/demo config --unset filter.slow.smudge" &&
	(
		cd work && echo "z-slow.txt filter=slow" >.gitattributes && echo slow >z-slow.txt &&
		git add .gitattributes z-slow.txt && git commit -q -m "slow to write" && git push -q origin main
	) &&
	COMMIT=$(git -C work rev-parse HEAD) &&
	push_webhook "$COMMIT" "slow to write" &&
	rel=state/releases/demo/$DEPLOYMENT-$(echo $COMMIT | cut -c1-12) &&
	test_wait_until 10 test -f run/smudging && test -f "$rel/README" &&
	api POST /api/deployments/$DEPLOYMENT/cancel &&
	test "$(cat status)" = 200 &&
	wait_status $DEPLOYMENT cancelled &&
	test "$(deployment_step $DEPLOYMENT fetch)" = cancelled &&
	test_path_is_missing "$rel" &&
	deployment_log $DEPLOYMENT >log &&
	test_file_not_empty log &&
	! grep -e "fetching" -e "could not remove" log &&
	proxy_says | grep "color green" &&
	(cd work && git rm -q .gitattributes z-slow.txt && git commit -q -m "not slow" && git push -q origin main) &&
	rm -f run/smudging
'

test_expect_success 'cancel of a finished deployment is 409, of an unknown one 404' '
	api POST /api/deployments/$DEPLOYMENT/cancel &&
	test "$(cat status)" = 409 &&
	test_grep "is cancelled; only queued or running ones can be cancelled" out &&
	api POST /api/deployments/999999/cancel &&
	test "$(cat status)" = 404
'

test_expect_success 'five quick pushes while one runs: the newest runs, four are superseded' '
	# This build holds the worker until the test says go.
	commit_push build.sh "while test ! -f \"\$RUN/go\"; do sleep 0.05; done" "busy" &&
	busy=$DEPLOYMENT &&
	wait_status $busy running &&
	first= &&
	for n in 1 2 3 4 5
	do
		commit_push README "burst $n" "burst $n" || return 1
		test -n "$first" || first=$DEPLOYMENT
	done &&
	last=$DEPLOYMENT &&
	touch run/go &&
	wait_status $busy succeeded &&
	wait_status $last succeeded &&
	test $((last - first)) = 4 &&
	for id in $(seq $first $((last - 1)))
	do
		test "$(deployment $id "\"\(.status) \(.steps | length)\"")" = "superseded 0" || return 1
	done &&
	proxy_says | grep "commit $(echo $COMMIT | cut -c1-12)"
'

test_expect_success 'kill -9 mid-build: interrupted at restart, the queue goes on, the proxy never fails' '
	start_poller &&
	test_when_finished stop_poller &&
	commit_push build.sh "$SLOW_BUILD" "slow again" && slow=$DEPLOYMENT &&
	test_wait_until 10 test -s run/sleep.pid &&
	commit_push build.sh "echo quick" "queued behind" && queued=$DEPLOYMENT &&
	test "$(deployment $slow .status)" = running &&
	net=$(net_pid) &&
	kill -9 $TURNOUT_PID &&
	{ wait $TURNOUT_PID 2>/dev/null || :; } && TURNOUT_PID= &&
	# Its network process follows it, at once.
	test_wait_until 5 is_gone $net &&
	# The orphaned build is the operator'"'"'s to clean; the test does it.
	{ kill "$(cat run/sleep.pid)" "$(cat run/build.pid)" 2>/dev/null || :; } &&
	rm -f run/sleep.pid run/build.pid &&
	# (the daemon is down: only the database can tell)
	test "$(db "SELECT status FROM deployments WHERE id = $slow")" = running &&
	start_turnout &&
	test_grep "deployment left running by the last run marked interrupted" turnout.log &&
	test "$(deployment $slow .status)" = interrupted &&
	wait_status $queued succeeded &&
	stop_poller &&
	test -s poll.log &&
	cut -d" " -f1 poll.log | sort | uniq -c &&
	! grep -v "^200 " poll.log
'

test_expect_success 'a second serve on the same state_dir exits 1 and leaves the first one'"'"'s deployment running' '
	commit_push build.sh "$SLOW_BUILD" "slow, with a twin" &&
	test_wait_until 10 test -s run/sleep.pid &&
	# (listen is on port 0: the twin could bind; timeout ends it if it runs)
	test_expect_code 1 timeout 10 turnout serve -c turnout.conf 2>twin.log &&
	test_grep "state_dir .*/state. is in use by another turnout serve (pid $TURNOUT_PID); stop that one first" twin.log &&
	! grep -e "marked interrupted" -e "listening on" twin.log &&
	test "$(deployment $DEPLOYMENT .status)" = running &&
	test "$(deployment_step $DEPLOYMENT build)" = running &&
	is_alive "$(cat run/sleep.pid)" &&
	api POST /api/deployments/$DEPLOYMENT/cancel &&
	wait_status $DEPLOYMENT cancelled &&
	rm -f run/sleep.pid run/build.pid
'

test_expect_success 'SIGTERM mid-build ends the deployment interrupted and kills the step' '
	commit_push build.sh "$SLOW_BUILD" "slow, then stop" &&
	test_wait_until 10 test -s run/sleep.pid &&
	sleeper=$(cat run/sleep.pid) &&
	is_alive $sleeper &&
	stop_turnout &&
	# (the daemon is down: only the database can tell)
	test "$(db "SELECT status FROM deployments WHERE id = $DEPLOYMENT")" = interrupted &&
	! is_alive $sleeper &&
	rm -f run/sleep.pid run/build.pid &&
	proxy_says | grep "color"
'

test_expect_success 'at start the database follows what nginx really serves' '
	# (the daemon is down: only the database can tell)
	live=$(db "SELECT active_color FROM apps WHERE name = '"'"'demo'"'"'") &&
	test -n "$live" &&
	other=$(test "$live" = blue && echo green || echo blue) &&
	db "UPDATE apps SET active_color = '"'"'$other'"'"'" &&
	start_turnout &&
	test_grep "the proxy serves $live but the database said $other" turnout.log &&
	test "$(active_color)" = "$live"
'

test_done
