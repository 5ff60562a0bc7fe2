#!/bin/sh
# SPEC §5 for GitLab (token and signed), Gitea/Forgejo and Bitbucket.

test_description='GitLab, Gitea, Forgejo and Bitbucket webhooks'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

SHA=89abcdef0123456789abcdef0123456789abcdef
ZERO=0000000000000000000000000000000000000000
# The Standard Webhooks example key, for GitLab's signed webhooks.
WHSEC=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

gitlab_json () {
	cat >gl.json <<-EOJ
	{"object_kind":"push","event_name":"push","before":"$ZERO","after":"$2",
	 "ref":"$1","user_name":"Park Minji","project":{"git_http_url":"https://evil.example/x.git"},
	 "commits":[{"id":"$2","message":"gitlab change\n","author":{"name":"Park Minji"}}]}
	EOJ
}

bitbucket_json () {
	cat >bb.json <<-EOJ
	{"push":{"changes":[{"old":null,
	 "new":{"type":"$1","name":"$2","target":{"hash":"$3","message":"bitbucket change",
	 "author":{"raw":"Lee Seojun <lee@example.com>","user":{"display_name":"Lee Seojun"}}}}}]},
	 "repository":{"full_name":"team/demo"}}
	EOJ
}

test_expect_success 'start with a token secret and a whsec_ secret' '
	write_config &&
	printf "gitlab-token-1\n%s\n" "$WHSEC" >demo.secret &&
	start_turnout
'

test_expect_success 'GitLab: push with the right token is queued' '
	gitlab_json refs/heads/main $SHA &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: gitlab-token-1" \
		-H "X-Gitlab-Event-UUID: gl-1" -H "Content-Type: application/json" --data-binary @gl.json &&
	test "$(cat status)" = 202 &&
	gl1=$(jq .deployment out) &&
	test "$(queued_deployment "\"\(.sender)|\(.commit)|\(.author)\"")" = "gitlab|$SHA|Park Minji"
'

test_expect_success 'GitLab: same X-Gitlab-Event-UUID is a duplicate' '
	n=$(count_deployments) &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: gitlab-token-1" \
		-H "X-Gitlab-Event-UUID: gl-1" --data-binary @gl.json &&
	test "$(cat status)" = 200 &&
	test_grep "\"duplicate\":$gl1}" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'GitLab: Idempotency-Key is the delivery id when given' '
	n=$(count_deployments) &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: gitlab-token-1" \
		-H "Idempotency-Key: idem-7" -H "X-Gitlab-Event-UUID: gl-7a" --data-binary @gl.json &&
	test "$(cat status)" = 202 &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: gitlab-token-1" \
		-H "Idempotency-Key: idem-7" -H "X-Gitlab-Event-UUID: gl-7b" --data-binary @gl.json &&
	test "$(cat status)" = 200 &&
	test "$(count_deployments)" = $((n + 1))
'

test_expect_success 'GitLab: a wrong or missing token is 401' '
	n=$(count_deployments) &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: gitlab-token-2" --data-binary @gl.json &&
	test "$(cat status)" = 401 &&
	hook demo -H "X-Gitlab-Event: Push Hook" --data-binary @gl.json &&
	test "$(cat status)" = 401 &&
	test_grep "X-Gitlab-Token" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'GitLab: tag push and branch deletion are ignored' '
	n=$(count_deployments) &&
	gitlab_json refs/tags/v2 $SHA &&
	hook demo -H "X-Gitlab-Event: Tag Push Hook" -H "X-Gitlab-Token: gitlab-token-1" --data-binary @gl.json &&
	test "$(cat status)" = 200 && test_grep "\"ignored\":\"tag" out &&
	gitlab_json refs/heads/main $ZERO &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "X-Gitlab-Token: gitlab-token-1" --data-binary @gl.json &&
	test "$(cat status)" = 200 && test_grep "deleted" out &&
	test "$(count_deployments)" = "$n"
'

gitlab_signed () {
	ts=${TS:-$(date +%s)} &&
	printf "%s.%s." "$1" "$ts" >signed &&
	cat gl.json >>signed &&
	sig=$(hmac_b64_key "${WHSEC#whsec_}" signed) &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "webhook-id: $1" -H "webhook-timestamp: $ts" \
		-H "webhook-signature: ${SIGPREFIX:-}v1,$sig" -H "Content-Type: application/json" --data-binary @gl.json
}

test_expect_success 'GitLab signed (Standard Webhooks): a good signature is queued' '
	gitlab_json refs/heads/main $SHA &&
	gitlab_signed msg_1 &&
	test "$(cat status)" = 202 &&
	msg1=$(jq .deployment out) &&
	test "$(queued_deployment .sender)" = gitlab
'

test_expect_success 'GitLab signed: the same webhook-id is a duplicate' '
	n=$(count_deployments) &&
	gitlab_signed msg_1 &&
	test "$(cat status)" = 200 &&
	test_grep "\"duplicate\":$msg1}" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'GitLab signed: several signatures, one right, is accepted' '
	SIGPREFIX="v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " gitlab_signed msg_2 &&
	test "$(cat status)" = 202
'

test_expect_success 'GitLab signed: a timestamp over 5 minutes old is 401' '
	n=$(count_deployments) &&
	TS=$(( $(date +%s) - 400 )) gitlab_signed msg_3 &&
	test "$(cat status)" = 401 &&
	test_grep "stale timestamp" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'GitLab signed: a signature over another body is 401' '
	n=$(count_deployments) &&
	ts=$(date +%s) &&
	printf "msg_4.%s.{}" "$ts" >signed &&
	sig=$(hmac_b64_key "${WHSEC#whsec_}" signed) &&
	hook demo -H "X-Gitlab-Event: Push Hook" -H "webhook-id: msg_4" -H "webhook-timestamp: $ts" \
		-H "webhook-signature: v1,$sig" --data-binary @gl.json &&
	test "$(cat status)" = 401 &&
	test "$(count_deployments)" = "$n"
'

gitea_json () {
	cat >gt.json <<-EOJ
	{"ref":"$1","before":"$ZERO","after":"$2","compare_url":"",
	 "commits":[{"id":"$2","message":"gitea change\n","author":{"name":"Choi Yuna","username":"yuna"}}],
	 "head_commit":{"id":"$2","message":"gitea change\n","author":{"name":"Choi Yuna"}},
	 "repository":{"clone_url":"https://evil.example/x.git"},"pusher":{"login":"yuna"}}
	EOJ
}

test_expect_success 'Gitea: bare hex signature is queued' '
	printf "gitea-secret\n" >demo.secret &&
	stop_turnout && start_turnout &&
	gitea_json refs/heads/main $SHA &&
	sig=$(hmac_hex gitea-secret gt.json) &&
	hook demo -H "X-Gitea-Event: push" -H "X-Gitea-Delivery: gt-1" -H "X-Gitea-Signature: $sig" \
		-H "X-GitHub-Event: push" -H "Content-Type: application/json" --data-binary @gt.json &&
	test "$(cat status)" = 202 &&
	gt1=$(jq .deployment out) &&
	test "$(queued_deployment "\"\(.sender)|\(.author)\"")" = "gitea|Choi Yuna"
'

test_expect_success 'Gitea: same X-Gitea-Delivery is a duplicate' '
	n=$(count_deployments) &&
	hook demo -H "X-Gitea-Event: push" -H "X-Gitea-Delivery: gt-1" -H "X-Gitea-Signature: $sig" \
		--data-binary @gt.json &&
	test "$(cat status)" = 200 && test_grep "\"duplicate\":$gt1}" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'Gitea: a "sha256=" prefixed or wrong signature is 401' '
	n=$(count_deployments) &&
	hook demo -H "X-Gitea-Event: push" -H "X-Gitea-Signature: sha256=$sig" --data-binary @gt.json &&
	test "$(cat status)" = 401 &&
	bad=$(hmac_hex other gt.json) &&
	hook demo -H "X-Gitea-Event: push" -H "X-Gitea-Signature: $bad" --data-binary @gt.json &&
	test "$(cat status)" = 401 &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'Forgejo: its own headers are understood' '
	gitea_json refs/heads/main $SHA &&
	sig=$(hmac_hex gitea-secret gt.json) &&
	hook demo -H "X-Forgejo-Event: push" -H "X-Forgejo-Delivery: fj-1" -H "X-Forgejo-Signature: $sig" \
		-H "X-Gitea-Event: push" --data-binary @gt.json &&
	test "$(cat status)" = 202 &&
	test "$(queued_deployment .sender)" = gitea &&
	fj1=$(jq .deployment out) &&
	hook demo -H "X-Forgejo-Event: push" -H "X-Forgejo-Delivery: fj-1" -H "X-Forgejo-Signature: $sig" \
		-H "X-Gitea-Event: push" --data-binary @gt.json &&
	test "$(cat status)" = 200 && test_grep "\"duplicate\":$fj1}" out
'

test_expect_success 'Gitea: push to another branch is ignored' '
	n=$(count_deployments) &&
	gitea_json refs/heads/develop $SHA &&
	sig=$(hmac_hex gitea-secret gt.json) &&
	hook demo -H "X-Gitea-Event: push" -H "X-Gitea-Signature: $sig" --data-binary @gt.json &&
	test "$(cat status)" = 200 && test_grep "\"ignored\"" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'Bitbucket: repo:push with sha256 signature is queued' '
	printf "bb-secret\n" >demo.secret &&
	stop_turnout && start_turnout &&
	bitbucket_json branch main $SHA &&
	sig=$(hmac_hex bb-secret bb.json) &&
	hook demo -H "X-Event-Key: repo:push" -H "X-Request-UUID: bb-1" -H "X-Hub-Signature: sha256=$sig" \
		-H "Content-Type: application/json" --data-binary @bb.json &&
	test "$(cat status)" = 202 &&
	bb1=$(jq .deployment out) &&
	test "$(queued_deployment "\"\(.sender)|\(.commit)|\(.ref)|\(.author)\"")" = \
		"bitbucket|$SHA|refs/heads/main|Lee Seojun"
'

test_expect_success 'Bitbucket: same X-Request-UUID is a duplicate' '
	n=$(count_deployments) &&
	hook demo -H "X-Event-Key: repo:push" -H "X-Request-UUID: bb-1" -H "X-Hub-Signature: sha256=$sig" \
		--data-binary @bb.json &&
	test "$(cat status)" = 200 && test_grep "\"duplicate\":$bb1}" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'Bitbucket: tag push ignored, wrong signature 401, ping pong' '
	n=$(count_deployments) &&
	bitbucket_json tag v3 $SHA &&
	sig=$(hmac_hex bb-secret bb.json) &&
	hook demo -H "X-Event-Key: repo:push" -H "X-Hub-Signature: sha256=$sig" --data-binary @bb.json &&
	test "$(cat status)" = 200 && test_grep "\"ignored\":\"tag" out &&
	hook demo -H "X-Event-Key: repo:push" -H "X-Hub-Signature: sha256=$(hmac_hex nope bb.json)" \
		--data-binary @bb.json &&
	test "$(cat status)" = 401 &&
	echo "{\"test\":true}" >bbping.json &&
	hook demo -H "X-Event-Key: diagnostics:ping" \
		-H "X-Hub-Signature: sha256=$(hmac_hex bb-secret bbping.json)" --data-binary @bbping.json &&
	test "$(cat status)" = 200 && test_grep "\"pong\":true" out &&
	test "$(count_deployments)" = "$n"
'

test_expect_success 'Bitbucket: a body without push.changes is 400' '
	echo "{\"push\":{}}" >bb.json &&
	hook demo -H "X-Event-Key: repo:push" -H "X-Hub-Signature: sha256=$(hmac_hex bb-secret bb.json)" \
		--data-binary @bb.json &&
	test "$(cat status)" = 400 &&
	test_grep "\"error\":" out
'

test_expect_success 'no secret reaches the log' '
	! grep -F gitlab-token-1 turnout.log &&
	! grep -F "$WHSEC" turnout.log &&
	! grep -F gitea-secret turnout.log &&
	! grep -F bb-secret turnout.log
'

test_done
