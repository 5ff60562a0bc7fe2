#!/bin/sh
# No secret anywhere: the webhook secret, the API token, a dashboard
# session id and the password and token of a repo URL appear in no log
# line, no database row, no answer and no file turnout writes, after a
# scenario that uses each of them, right and wrong.

test_description='no secret in logs, the database, answers or state files'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

if ! command -v nginx >/dev/null 2>&1 || ! command -v jq >/dev/null 2>&1; then
	test_skip_all 'needs nginx and jq'
fi

TOKEN=api-t0ken-$$-Kx7Qw2
# The helpers of lib-daemon.sh use this token too.
TEST_TOKEN=$TOKEN
PW=repo-pa55word-Zq9vL

# Every answer the test gets, headers and body, goes to answers.txt.
ask () {
	curl -sS -D - "$@" >>answers.txt 2>&1
	echo >>answers.txt
}

test_expect_success 'set up: a repo URL with a password, and a token of our own' '
	setup_stack &&
	stop_turnout &&
	sed -i "s|^repo = .*|repo = file://deploy:$PW@localhost$PWD/repo.git|" turnout.conf &&
	rm -rf state/repos/demo &&
	start_turnout &&
	: >answers.txt
'

test_expect_success 'a scenario that uses every secret, right and wrong' '
	commit_push README v1 "v1" && cat out >>answers.txt &&
	wait_status $DEPLOYMENT succeeded &&
	# A build that prints every secret, then fails.
	commit_push build.sh "echo \"leak: $PW $TOKEN\"
cat <<\EOS
secret: $DEMO_SECRET
EOS
exit 3" "a build that leaks" &&
	wait_status $DEPLOYMENT failed &&
	# A commit the repo lacks: git names the repo in its error.
	ask -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
		-d "{\"commit\":\"0123456789abcdef0123456789abcdef01234567\"}" \
		"$TURNOUT_URL/api/apps/demo/deploy" &&
	id=$(sed -n "s/.*\"deployment\":\([0-9]*\).*/\1/p" answers.txt | tail -1) &&
	wait_status $id failed &&
	# Wrong proofs and wrong tokens.
	SECRET="$DEMO_SECRET-not" github_push && cat out >>answers.txt &&
	ask -H "Content-Type: application/json" -d "{\"token\":\"$TOKEN-not\"}" \
		"$TURNOUT_URL/api/session" &&
	ask -H "Authorization: Bearer ${TOKEN}x" "$TURNOUT_URL/api/apps" &&
	ask -H "Authorization: Bearer $DEMO_SECRET" "$TURNOUT_URL/api/apps" &&
	# A good login, and its session used.
	curl -sS -c jar -D - -H "Content-Type: application/json" -d "{\"token\":\"$TOKEN\"}" \
		"$TURNOUT_URL/api/session" >login.txt &&
	SESSION=$(awk "\$6 == \"turnout_session\" { print \$7 }" jar) &&
	test -n "$SESSION" &&
	ask -b jar "$TURNOUT_URL/api/apps" &&
	ask -b jar -X POST "$TURNOUT_URL/api/apps/demo/rollback" &&
	# Everything the API and the CLI show.
	for path in /api/apps /api/apps/demo/deployments /api/deployments/1 /api/deployments/1/log \
		/api/deployments/2 /api/deployments/2/log /api/deployments/$id \
		/api/deployments/$id/log /healthz /nope
	do
		ask -H "Authorization: Bearer $TOKEN" "$TURNOUT_URL$path" || return 1
	done &&
	TURNOUT_TOKEN=$TOKEN turnout status >cli.txt 2>&1 &&
	TURNOUT_TOKEN=$TOKEN turnout history demo >>cli.txt 2>&1 &&
	TURNOUT_TOKEN=$TOKEN turnout logs 2 >>cli.txt 2>&1 &&
	test_must_fail env TURNOUT_TOKEN=wrong turnout status >>cli.txt 2>&1
'

test_expect_success 'the scenario did use them: the build printed them, masked' '
	curl -sS -H "Authorization: Bearer $TOKEN" "$TURNOUT_URL/api/deployments/2/log" >build.log &&
	test_grep "leak: \*\*\* \*\*\*" build.log &&
	test_grep "secret: \*\*\*" build.log &&
	test_grep "cloning file://\*\*\*@localhost" answers.txt &&
	test_grep "$SESSION" login.txt
'

test_expect_success 'no secret in the daemon log, the database, the answers or state files' '
	stop_turnout &&
	sqlite3 state/turnout.db .dump >dump.sql &&
	for s in "$PW" "$DEMO_SECRET" "$TOKEN" "$SESSION"
	do
		test -n "$s" || return 1
		# The releases hold the repo as committed (its build.sh names them).
		# login.txt is the login answer: the one place its session id belongs.
		if grep -rlF -e "$s" turnout.log dump.sql answers.txt cli.txt state \
			--exclude-dir=releases
		then
			echo "found: $s" && return 1
		fi
	done
'

test_done
