#!/bin/sh
# deploy_on = tags | both: a pushed tag whose name matches tags is
# deployed at its commit (an annotated tag's webhook names the tag object,
# which is peeled), and its name is shown; other tags, deleted tags and,
# with deploy_on = tags, branch pushes are answered and change nothing.

test_description='deploy on tags'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

# tag_push NAME: tags work's HEAD (annotated) and pushes it; sets TAG_OBJECT and TAG_COMMIT.
tag_push () {
	git -C work tag -a "$1" -m "release $1" &&
	git -C work push -q origin "refs/tags/$1" &&
	TAG_OBJECT=$(git -C work rev-parse "refs/tags/$1") &&
	TAG_COMMIT=$(git -C work rev-parse "refs/tags/$1^{commit}") &&
	test "$TAG_OBJECT" != "$TAG_COMMIT"
}

test_expect_success 'set up with deploy_on = tags, tags = v*' '
	setup_stack "deploy_on = tags" "tags = v*" &&
	turnout check-config -c turnout.conf
'

test_expect_success 'a branch push is answered and ignored' '
	(
		cd work &&
		echo "echo building \$TURNOUT_COMMIT; echo \$TURNOUT_REF >\"\$RUN/ref\"" >build.sh &&
		git commit -q -am "record the ref" && git push -q origin main
	) &&
	push_json refs/heads/main "$(git -C work rev-parse HEAD)" &&
	github_push &&
	test "$(cat status)" = 200 &&
	test_grep "only tags are deployed (deploy_on = tags)" out &&
	test "$(count_deployments)" = 0
'

test_expect_success 'an annotated tag that matches is deployed at its commit, and named' '
	tag_push v1.0 &&
	push_json refs/tags/v1.0 "$TAG_OBJECT" "release v1.0" &&
	github_push &&
	test "$(cat status)" = 202 &&
	id=$(queued_id) &&
	wait_status $id succeeded &&
	test "$(deployment $id .commit)" = "$TAG_COMMIT" &&
	test "$(deployment $id .tag)" = v1.0 &&
	test "$(deployment $id .ref)" = refs/tags/v1.0 &&
	test "$(app_get .live_commit)" = "$TAG_COMMIT" &&
	test "$(cat run/ref)" = refs/tags/v1.0 &&
	turnout history demo -c turnout.conf >hist &&
	test_grep "^$id .*\[tag v1.0\]$" hist
'

test_expect_success 'a tag that does not match, and a deleted tag, change nothing' '
	tag_push nightly-5 &&
	push_json refs/tags/nightly-5 "$TAG_OBJECT" &&
	github_push &&
	test "$(cat status)" = 200 &&
	test_grep "tag .nightly-5. does not match tags = v\*" out &&
	cat >push.json <<-EOJ &&
	{"ref":"refs/tags/v1.0","before":"$TAG_OBJECT","after":"0000000000000000000000000000000000000000","deleted":true}
	EOJ
	github_push &&
	test "$(cat status)" = 200 &&
	test_grep "tag .v1.0. was deleted" out &&
	test "$(count_deployments)" = 1
'

test_expect_success 'deploy_on = both (after a reload): branch pushes deploy too' '
	sed -i "s/^deploy_on = tags/deploy_on = both/" turnout.conf &&
	kill -HUP "$TURNOUT_PID" &&
	test_wait_until 20 grep -q " reloaded " turnout.log &&
	test_grep "reloaded .*changed: demo" turnout.log &&
	commit_push README v2 "on the branch" &&
	wait_status $DEPLOYMENT succeeded &&
	test "$(deployment $DEPLOYMENT .tag)" = null &&
	test "$(app_get .live_commit)" = "$COMMIT"
'

test_expect_success 'check-config refuses a bad deploy_on and an empty tags' '
	cp turnout.conf bad.conf &&
	sed -i "s/^deploy_on = both/deploy_on = releases/" bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>&1 &&
	test_grep "deploy_on. must be branch, tags or both" out &&
	cp turnout.conf bad.conf &&
	sed -i "s/^tags = v\*/tags =/" bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>&1 &&
	test_grep "tags. is empty" out
'

test_done
