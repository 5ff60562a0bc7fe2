#!/bin/sh
# SPEC §6 with real nginx and git: deploy, fail at each step, roll back.

test_description='the deploy pipeline with nginx'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

test_expect_success 'set up git, nginx, two colors and turnout' '
	setup_stack &&
	test "$(active_color)" = blue
'

test_expect_success 'a push is deployed to the idle color and goes live' '
	commit_push README "v1" "first release" &&
	wait_status $DEPLOYMENT succeeded &&
	proxy_says >actual &&
	echo "demo app: color green, commit $(echo $COMMIT | cut -c1-12)" >expect &&
	test_cmp expect actual &&
	test "$(active_color)" = green &&
	test "$(app_get .live_commit)" = "$COMMIT" &&
	deployment_steps $DEPLOYMENT >steps &&
	printf "%s\n" "fetch succeeded" "build succeeded" "start succeeded" "verify succeeded" \
		"switch succeeded" "confirm succeeded" >expect &&
	test_cmp expect steps &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "building $COMMIT" log &&
	test_grep "started green on $GREEN_PORT for $COMMIT" log &&
	test_grep "green is healthy after" log &&
	# The switch saw nginx'"'"'s new workers take over: one answer confirms.
	test_grep "nginx.s new workers took over [0-9]* ms after the reload" log &&
	deployment_step $DEPLOYMENT confirm .detail >confirm &&
	test_grep "the proxy answers from green after [0-9]* ms (HTTP 200)" confirm
'

test_expect_success 'each step records its time inside the operator'"'"'s commands' '
	deployment $DEPLOYMENT ".steps[] | \"\(.name)|\(.command_ms)|\(.finished_at - .started_at)\"" >times &&
	# fetch and verify run none; start runs stop + start, switch nginx -t and reload.
	grep "^fetch|0|" times && grep "^verify|0|" times &&
	awk -F"|" "\$1 == \"start\" || \$1 == \"switch\" {n++; if (\$2 <= 0 || \$2 > \$3) bad = 1}
		END {exit !(n == 2 && !bad)}" times
'

test_expect_success 'the next push goes to blue, green keeps running' '
	commit_push README "v2" "second release" &&
	wait_status $DEPLOYMENT succeeded &&
	proxy_says >actual &&
	test_grep "color blue, commit $(echo $COMMIT | cut -c1-12)" actual &&
	test "$(active_color)" = blue &&
	test -f run/app-green.pid &&
	curl -sS -o healthz -w "%{http_code}" "http://127.0.0.1:$GREEN_PORT/healthz" >code &&
	test "$(cat code)" = 200 &&
	test "$(cat healthz)" = ok
'

test_expect_success 'commands get exactly the SPEC environment' '
	commit_push build.sh "env | grep ^TURNOUT_ | sort >\"\$RUN/env\"; pwd >>\"\$RUN/env\"" "show env" &&
	wait_status $DEPLOYMENT succeeded &&
	cat >expect <<-EOF &&
	TURNOUT_APP=demo
	TURNOUT_COLOR=green
	TURNOUT_COMMIT=$COMMIT
	TURNOUT_DEPLOYMENT=$DEPLOYMENT
	TURNOUT_OLD_COLOR=blue
	TURNOUT_OLD_PORT=$BLUE_PORT
	TURNOUT_PORT=$GREEN_PORT
	TURNOUT_REF=refs/heads/main
	TURNOUT_RELEASE_DIR=$PWD/state/releases/demo/$DEPLOYMENT-$(echo $COMMIT | cut -c1-12)
	$PWD/state/releases/demo/$DEPLOYMENT-$(echo $COMMIT | cut -c1-12)
	EOF
	test_cmp expect run/env &&
	(cd work && echo "echo building \$TURNOUT_COMMIT" >build.sh && git add build.sh) &&
	commit_push - - "back to blue" &&
	wait_status $DEPLOYMENT succeeded
'

test_expect_success 'a build failure leaves traffic where it was' '
	before=$(proxy_says) &&
	commit_push build.sh "echo compiling; echo broken >&2; exit 3" "break the build" &&
	wait_status $DEPLOYMENT failed &&
	test "$(proxy_says)" = "$before" &&
	test "$(active_color)" = blue &&
	deployment_steps $DEPLOYMENT >steps &&
	test_grep -x "build failed" steps &&
	test_grep ! "^start " steps &&
	deployment $DEPLOYMENT .error >err &&
	test_grep "build command .sh ./build.sh. exited with 3" err &&
	deployment_log $DEPLOYMENT "\"\(.stream) \(.line)\"" >log &&
	test_grep "^out compiling" log &&
	test_grep "^err broken" log &&
	test "$(deployment $DEPLOYMENT .bad_release)" = true
'

test_expect_success 'a start failure leaves traffic where it was' '
	(cd work && echo "echo building \$TURNOUT_COMMIT" >build.sh && git add build.sh) &&
	commit_push start-fails yes "cannot start" &&
	wait_status $DEPLOYMENT failed &&
	test "$(active_color)" = blue &&
	proxy_says >actual &&
	test_grep "color blue" actual &&
	deployment $DEPLOYMENT .error >err &&
	test_grep "start command .* exited with 4" err &&
	commit_rm start-fails
'

test_expect_success 'a color that never gets healthy is stopped; the old one keeps serving' '
	commit_push unhealthy yes "healthz says 503" &&
	wait_status $DEPLOYMENT failed &&
	proxy_says >actual &&
	test_grep "color blue" actual &&
	deployment $DEPLOYMENT .error >err &&
	test_grep "green (port $GREEN_PORT) is not healthy after 5 s and [0-9]* attempts; the last: HTTP 503: not ready" err &&
	# The step detail in the API says the same, after more than one attempt.
	deployment $DEPLOYMENT "(.steps[] | select(.name == \"verify\") | .detail)" >detail &&
	test_cmp err detail &&
	attempts=$(sed -n "s/.* and \([0-9]*\) attempts.*/\1/p" err) &&
	test "$attempts" -gt 1 &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "stopping green, which did not pass its health check" log &&
	test_path_is_missing run/app-green.pid &&
	deployment_steps $DEPLOYMENT >steps &&
	test_grep -x "verify failed" steps &&
	test_grep ! "^switch " steps &&
	commit_rm unhealthy
'

test_expect_success 'a color that does not listen: verify says refused, and where it asked' '
	commit_push slow-start 20000 "listens only after 20 s" &&
	wait_status $DEPLOYMENT failed &&
	deployment $DEPLOYMENT .error >err &&
	test_grep "green (port $GREEN_PORT) is not healthy after 5 s and [0-9]* attempts; the last: refused: .*port $GREEN_PORT" err &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "GET http://127.0.0.1:$GREEN_PORT/healthz on green.s port $GREEN_PORT until 2xx" log &&
	proxy_says | grep "color blue" &&
	commit_rm slow-start
'

test_expect_success 'an nginx test failure restores the upstream file and nginx keeps serving' '
	cp nginx/upstream.conf upstream.before &&
	echo "this is not nginx syntax;" >nginx/extra/broken.conf &&
	commit_push - - "deploy while nginx config is broken" &&
	wait_status $DEPLOYMENT failed &&
	test_cmp upstream.before nginx/upstream.conf &&
	test_path_is_missing nginx/upstream.conf.turnout-tmp &&
	deployment $DEPLOYMENT .error >err &&
	test_grep "nginx_test .* exited with 1; upstream file restored, nginx not reloaded" err &&
	proxy_says >actual &&
	test_grep "color blue" actual &&
	test "$(active_color)" = blue &&
	rm nginx/extra/broken.conf
'

test_expect_success 'a reload that fails after taking effect: the old file is reloaded too' '
	cp nginx/upstream.conf upstream.before &&
	# Reloads nginx, then fails the first time it is run.
	cat >reload-then-fail.sh <<-EOF &&
	#!/bin/sh
	"$PWD/nginx.sh" -s reload || exit 1
	test -f "$PWD/reload-failed-once" && exit 0
	touch "$PWD/reload-failed-once" && sleep 0.5 && exit 1
	EOF
	chmod +x reload-then-fail.sh &&
	stop_turnout &&
	cp turnout.conf turnout.conf.good &&
	test_when_finished "stop_turnout; mv turnout.conf.good turnout.conf; start_turnout" &&
	sed -i "s|^nginx_reload = .*|nginx_reload = $PWD/reload-then-fail.sh|" turnout.conf &&
	start_turnout &&
	commit_push - - "deploy while the reload command is broken" &&
	wait_status $DEPLOYMENT failed &&
	deployment $DEPLOYMENT .error >err &&
	test_grep "nginx_reload .* exited with 1; upstream file restored and nginx reloaded with it" err &&
	test_cmp upstream.before nginx/upstream.conf &&
	sleep 0.5 &&
	for i in 1 2 3 4 5 6 7 8; do proxy_says || return 1; done >answers &&
	test_line_count = 8 answers &&
	! grep -v "color blue" answers &&
	test "$(active_color)" = blue
'

test_expect_success 'a failed confirm through the proxy rolls back by itself' '
	live=$(proxy_says) &&
	commit_push fail-confirm yes "confirm will fail" &&
	wait_status $DEPLOYMENT rolled_back &&
	test "$(proxy_says)" = "$live" &&
	test "$(active_color)" = blue &&
	deployment_steps $DEPLOYMENT >steps &&
	test_grep "^confirm failed" steps &&
	test_grep "^rollback succeeded" steps &&
	test "$(db "SELECT reason FROM bad_releases WHERE commit_sha = '"'"'$COMMIT'"'"'")" = \
		"confirm through the proxy failed" &&
	grep -q "live color: blue" nginx/upstream.conf &&
	commit_rm fail-confirm
'

test_expect_success 'branch names and messages with shell in them stay data' '
	commit_push - - "\`touch pwned1\` \$(touch pwned2)" &&
	wait_status $DEPLOYMENT succeeded &&
	test_path_is_missing pwned1 && test_path_is_missing pwned2 &&
	test_path_is_missing "state/releases/demo/pwned1" &&
	push_json "refs/heads/\$(touch pwned3)" $COMMIT &&
	github_push &&
	test "$(cat status)" = 200 &&
	test_path_is_missing pwned3 &&
	! find . -name "pwned*" | grep .
'

test_expect_success 'the release holds the commit'"'"'s files, modes and links, and nothing of git'"'"'s' '
	(
		cd work &&
		mkdir -p deep/er && echo leaf >deep/er/leaf &&
		printf "#!/bin/sh\necho hi\n" >tool.sh && chmod +x tool.sh &&
		ln -s deep/er/leaf link &&
		git add deep tool.sh link &&
		git commit -q -m "files of all kinds" && git push -q origin main
	) &&
	COMMIT=$(git -C work rev-parse HEAD) &&
	# A dir left where this release goes (a run cut short) is started afresh.
	next=$(( $(api_get "/api/apps/demo/deployments?limit=1" ".deployments[0].id") + 1 )) &&
	rel=state/releases/demo/$next-$(echo $COMMIT | cut -c1-12) &&
	mkdir -p "$rel/deep" && echo stale >"$rel/stale" && echo stale >"$rel/tool.sh" &&
	push_webhook "$COMMIT" "files of all kinds" &&
	test "$DEPLOYMENT" = "$next" &&
	wait_status $DEPLOYMENT succeeded &&
	test_path_is_missing "$rel/stale" &&
	test "$(sed -n 2p "$rel/tool.sh")" = "echo hi" &&
	git -C work ls-files | sort >expect &&
	(cd "$rel" && find . -type f -o -type l) | sed "s|^\./||" | sort >actual &&
	test_cmp expect actual &&
	test -x "$rel/tool.sh" &&
	test -h "$rel/link" && test "$(cat "$rel/link")" = leaf &&
	test_path_is_missing "$rel/.git" &&
	! ls -a state/releases/demo | grep "^\.index"
'

test_expect_success 'a pushed commit of a repo on this machine is read in place' '
	commit_push in-place.txt "read where it is" "in place" &&
	wait_status $DEPLOYMENT succeeded &&
	short=$(echo $COMMIT | cut -c1-12) &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "read $short from $PWD/repo.git in place" log &&
	! grep "cannot be read in place" log &&
	test "$(cat state/releases/demo/$DEPLOYMENT-$short/in-place.txt)" = "read where it is" &&
	# Nothing was fetched, and the cache never points into the repo: a gc
	# there cannot take objects the cache needs.
	test_must_fail git --git-dir=state/repos/demo cat-file -e $COMMIT &&
	test_path_is_missing state/repos/demo/objects/info/alternates &&
	git --git-dir=state/repos/demo fsck --no-progress --connectivity-only
'

test_expect_success 'a commit force-pushed away still deploys from the API, in place' '
	gone=$COMMIT &&
	(cd work && git reset -q --hard HEAD~1 && git commit -q --allow-empty -m "instead" &&
	 git push -q -f origin main) &&
	test_must_fail git -C repo.git merge-base --is-ancestor $gone main &&
	for c in $gone $(echo $gone | cut -c1-10)
	do
		api POST /api/apps/demo/deploy "{\"commit\":\"$c\"}" &&
		test "$(cat status)" = 202 &&
		id=$(queued_id) &&
		wait_status $id succeeded &&
		test "$(deployment $id .commit)" = $gone &&
		deployment_log $id >log &&
		test_grep "read $(echo $gone | cut -c1-12) from $PWD/repo.git in place" log ||
		return 1
	done &&
	test_must_fail git --git-dir=state/repos/demo cat-file -e $gone
'

test_expect_success 'a non-bare repo on this machine, a colon in its path, is read in place too' '
	git clone -q -b main repo.git "on:disk" &&
	(cd on:disk && git config user.name T && git config user.email t@e &&
	 echo non-bare >in-place.txt && git add in-place.txt && git commit -q -m "non-bare") &&
	COMMIT=$(git -C on:disk rev-parse HEAD) &&
	stop_turnout &&
	test_when_finished "stop_turnout; sed -i \"s|^repo = .*|repo = $PWD/repo.git|\" turnout.conf && start_turnout" &&
	sed -i "s|^repo = .*|repo = file://$PWD/on:disk|" turnout.conf &&
	start_turnout &&
	push_webhook "$COMMIT" "non-bare" &&
	wait_status $DEPLOYMENT succeeded &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "read $(echo $COMMIT | cut -c1-12) from file://$PWD/on:disk in place" log &&
	test "$(cat state/releases/demo/$DEPLOYMENT-$(echo $COMMIT | cut -c1-12)/in-place.txt)" = non-bare
'

test_expect_success 'an abbreviated commit from the API is deployed as its full id' '
	full=$(git -C work rev-parse HEAD~1) &&
	api POST /api/apps/demo/deploy "{\"commit\":\"$(echo $full | cut -c1-9)\"}" &&
	test "$(cat status)" = 202 &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	test "$(deployment $id .commit)" = "$full" &&
	test_path_is_dir "state/releases/demo/$id-$(echo $full | cut -c1-12)"
'

test_expect_success 'an annotated tag from the API deploys its commit, under the commit id' '
	(cd work && git tag -a -m "tagged" v-tagged HEAD~1 && git push -q origin v-tagged) &&
	tag=$(git -C work rev-parse v-tagged) && full=$(git -C work rev-parse v-tagged^{commit}) &&
	test "$tag" != "$full" &&
	api POST /api/apps/demo/deploy "{\"commit\":\"$tag\"}" &&
	test "$(cat status)" = 202 &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	test "$(deployment $id .commit)" = "$full"
'

test_expect_success 'a tree id is not a commit: neither the API nor a push deploys it' '
	tree=$(git -C work rev-parse HEAD^{tree}) &&
	api POST /api/apps/demo/deploy "{\"commit\":\"$tree\"}" &&
	id=$(queued_id) &&
	wait_status $id failed &&
	deployment $id .error >err &&
	test_grep "commit $tree is not in" err &&
	push_webhook "$tree" "a tree" &&
	id=$DEPLOYMENT &&
	wait_status $id failed &&
	deployment $id .error >err &&
	test_grep "commit $tree is not in" err &&
	deployment_log $id >log &&
	test_grep "cannot be read in place (git read-tree exited with 128: error: .*expected commit type.*): fetching" log &&
	test_path_is_missing "state/releases/demo/$id-$(echo $tree | cut -c1-12)"
'

test_expect_success 'a commit the repository lacks fails fetch and says which' '
	before=$(proxy_says) &&
	for c in 0123456789abcdef0123456789abcdef01234567 0123456789ab
	do
		api POST /api/apps/demo/deploy "{\"commit\":\"$c\"}" &&
		test "$(cat status)" = 202 &&
		id=$(queued_id) &&
		wait_status $id failed &&
		deployment $id .error >err &&
		test_grep "commit $c is not in" err &&
		test "$(deployment_step $id fetch)" = failed ||
		return 1
	done &&
	test "$(proxy_says)" = "$before"
'

test_expect_success 'a password or token in the repo URL never reaches a log' '
	stop_turnout &&
	sed -i "s|^repo = .*|repo = file://deploy:s3cretpw@localhost$PWD/repo.git|" turnout.conf &&
	rm -rf state/repos/demo &&
	start_turnout &&
	commit_push build.sh "echo the password is s3cretpw, twice: s3cretpw; echo deploying" "a build that leaks" &&
	wait_status $DEPLOYMENT succeeded &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "cloning file://\*\*\*@localhost" log &&
	test_grep "the password is \*\*\*, twice: \*\*\*" log &&
	test_grep "^deploying$" log &&
	! grep -r s3cretpw log turnout.log &&
	# Nor is it stored anywhere, not even where the API does not show.
	db "SELECT * FROM logs; SELECT * FROM deployments; SELECT * FROM steps" >stored &&
	test_file_not_empty stored &&
	! grep s3cretpw stored &&
	# GitHub style: the token is the user name.
	stop_turnout &&
	sed -i "s|^repo = .*|repo = file://ghp_0123456789abcdefXYZ:x-oauth-basic@localhost$PWD/repo.git|" turnout.conf &&
	start_turnout &&
	touch state/releases/demo/.index-12345 &&
	commit_push build.sh "echo token ghp_0123456789abcdefXYZ" "a build that leaks a token" &&
	wait_status $DEPLOYMENT succeeded &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "^token \*\*\*$" log &&
	! grep ghp_0123456789abcdefXYZ log turnout.log &&
	# A throw-away index a crash left behind is tidied away after the deployment.
	i=0 && while test -e state/releases/demo/.index-12345 && test $i -lt 50; do sleep 0.1; i=$((i + 1)); done &&
	test_path_is_missing state/releases/demo/.index-12345
'

test_expect_success 'nginx_keepalive puts keepalive N; in the upstream block nginx loads' '
	stop_turnout &&
	sed -i "s/^nginx_upstream = .*/&\nnginx_keepalive = 8/" turnout.conf &&
	start_turnout &&
	commit_push README "pooled" "with upstream keepalive" &&
	wait_status $DEPLOYMENT succeeded &&
	grep "^    keepalive 8;$" nginx/upstream.conf &&
	proxy_says | grep "commit $(echo $COMMIT | cut -c1-12)"
'

test_expect_success 'old releases are pruned to keep_releases' '
	# Pruning runs just after a deployment ends: give it a moment.
	i=0 &&
	while ls state/releases/demo >releases && test $(wc -l <releases) -gt 6 && test $i -lt 50
	do
		sleep 0.1 && i=$((i + 1))
	done &&
	test_line_count -le 6 releases &&
	# Housekeeping after the end goes to the daemon log, not a deployment log.
	test_grep "demo: pruning old release [0-9]*-" turnout.log &&
	api_get "/api/apps/demo/deployments?limit=100" >history &&
	test "$(jq .next_before history)" = null &&
	for id in $(jq ".deployments[].id" history)
	do
		deployment_log $id || return 1
	done >all-logs &&
	test_grep "^deployment succeeded after" all-logs &&
	test_grep ! "prun" all-logs
'

test_done
