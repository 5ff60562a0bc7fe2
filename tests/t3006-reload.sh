#!/bin/sh
# SIGHUP (systemctl reload) reads the config again: an app added, changed
# or removed while a deployment runs, which goes on undisturbed; a
# request in flight is answered by the network process it came to; a
# config with errors, or a [server] change that needs a restart, changes
# nothing.

test_description='config reload on SIGHUP'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

# A GitHub ping of about 6 KB, sent at 1.5 KB/s: it is in flight for 4 s.
slow_ping () {
	awk 'BEGIN { printf "{\"zen\":\""; for (i = 0; i < 6000; i++) printf "z"; print "\",\"hook_id\":7}" }' \
		>ping.json &&
	sig=$(hmac_hex "$DEMO_SECRET" ping.json) &&
	curl -sS -o slow.out -w '%{http_code}' --limit-rate 1500 -X POST \
		-H "X-GitHub-Event: ping" -H "X-GitHub-Delivery: slow-ping" \
		-H "Content-Type: application/json" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @ping.json \
		"$TURNOUT_URL/hooks/demo" >slow.status 2>slow.err &
	SLOW_PID=$!
	test_atexit 'kill $SLOW_PID 2>/dev/null || :'
}

# How many times the daemon has said that a reload ended, taken or refused.
reloads () {
	grep -c -e " reloaded " -e "config in use is kept" turnout.log
}

reloads_past () {
	test "$(reloads)" -gt "$1"
}

# Sends SIGHUP and waits until the daemon says the reload ended.
reload () {
	_before=$(reloads)
	kill -HUP "$TURNOUT_PID" &&
	test_wait_until 20 reloads_past "$_before"
}

# The pid of the network process that serves now: the last one to say so.
serving_net () {
	sed -n "s/.* network process \([0-9]*\) serves as uid.*/\1/p" turnout.log | tail -n 1
}

# A second app on the same repository: start does nothing, its health is nginx's.
second_app () {
	cat >>turnout.conf <<-EOF
	[app "second"]
	repo = $PWD/repo.git
	branch = main
	secret_file = demo.secret
	blue_port = $(free_port)
	green_port = $(free_port)
	start = /bin/true
	health = http://127.0.0.1:$NGINX_PORT/healthz
	health_timeout = 5
	switch = command
	switch_command = /bin/true
	EOF
}

# Posts push.json to APP as GitHub would.
push_to () {
	sig=$(hmac_hex "$DEMO_SECRET" push.json) &&
	hook "$1" -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
		-H "X-GitHub-Delivery: $(date +%s%N)" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @push.json
}

test_expect_success 'set up and deploy a first release' '
	setup_stack &&
	commit_push README v1 "first" &&
	wait_status $DEPLOYMENT succeeded &&
	test "$(active_color)" = green &&
	cp turnout.conf turnout.conf.orig
'

test_expect_success 'an app added while a deployment runs; a slow request in flight is answered' '
	commit_push build.sh "while test ! -f \"\$RUN/go\"; do sleep 0.05; done" "held build" &&
	busy=$DEPLOYMENT &&
	wait_status $busy running &&
	old_net=$(serving_net) &&
	test "$old_net" = "$(net_pid)" &&
	slow_ping &&
	sleep 1 &&
	second_app &&
	reload &&
	test_grep "reloaded .*added: second; removed: none" turnout.log &&
	test_grep "finishing [1-9][0-9]* open connection" turnout.log &&
	new_net=$(serving_net) &&
	test "$new_net" != "$old_net" &&
	kill -0 "$new_net" &&
	api_get /api/apps ".apps[].name" >names &&
	test_grep "^second$" names &&
	test "$(deployment $busy .status)" = running &&
	push_json refs/heads/main "$COMMIT" "to the new app" &&
	push_to second &&
	test "$(cat status)" = 202 &&
	second=$(queued_id) &&
	wait_status $second succeeded &&
	test "$(deployment $busy .status)" = running &&
	touch run/go &&
	wait_status $busy succeeded &&
	test "$(deployment $busy .error)" = null &&
	wait $SLOW_PID &&
	test "$(cat slow.status)" = 200 &&
	test_grep "\"pong\":true" slow.out &&
	test_wait_until 20 is_gone "$old_net" &&
	test_grep "network process $old_net has finished its connections" turnout.log
'

test_expect_success 'a config with an error is refused; everything goes on as it was' '
	net=$(serving_net) &&
	cp turnout.conf good.conf &&
	echo "colour = blue" >>turnout.conf &&
	reload &&
	test_grep "reload: .*unknown key" turnout.log &&
	test_grep "the config in use is kept" turnout.log &&
	test "$(serving_net)" = "$net" &&
	test "$(net_pid)" = "$net" &&
	api_get /api/apps ".apps[].name" >names &&
	test_grep "^second$" names &&
	curl -fsS "$TURNOUT_URL/healthz" &&
	cp good.conf turnout.conf
'

test_expect_success 'a new listen address needs a restart: refused' '
	net=$(serving_net) &&
	sed -i "s/^listen = .*/listen = 127.0.0.1:1/" turnout.conf &&
	reload &&
	test_grep "reload: \[server\] listen changed; that needs a restart" turnout.log &&
	test "$(serving_net)" = "$net" &&
	test "$(net_pid)" = "$net" &&
	cp good.conf turnout.conf
'

test_expect_success 'a changed app takes its new settings: another branch' '
	sed -i "0,/^branch = main/s//branch = release/" turnout.conf &&
	reload &&
	test_grep "reloaded .*changed: demo" turnout.log &&
	(cd work && git commit -q --allow-empty -m "on main" && git push -q origin main) &&
	push_json refs/heads/main "$(git -C work rev-parse HEAD)" "on main" &&
	github_push &&
	test "$(cat status)" = 200 &&
	test_grep "\"ignored\"" out &&
	cp good.conf turnout.conf
'

test_expect_success 'a removed app is gone from the API and its webhooks' '
	cp turnout.conf.orig turnout.conf &&
	reload &&
	test_grep "reloaded .*removed: second" turnout.log &&
	api_get /api/apps ".apps[].name" >names &&
	! grep -q "^second$" names &&
	push_to second &&
	test "$(cat status)" = 404 &&
	commit_push build.sh "echo building \$TURNOUT_COMMIT" "build again" &&
	wait_status $DEPLOYMENT succeeded
'

test_done
