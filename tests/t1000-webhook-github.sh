#!/bin/sh
# SPEC §5 for GitHub: every row of the answer table, and what is stored.

test_description='GitHub webhooks: answers and what is stored'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

SHA=0123456789abcdef0123456789abcdef01234567

test_expect_success 'start the daemon' '
	write_config &&
	start_turnout &&
	test "$(count_deployments)" = 0
'

test_expect_success 'GitHub documented test vector' '
	printf "Hello, World!" >vector &&
	test "$(hmac_hex "It'"'"'s a Secret to Everybody" vector)" = \
		757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
'

test_expect_success 'a signed push to main is queued: 202 and the row is stored' '
	push_json refs/heads/main $SHA "add the map" &&
	DELIVERY=gh-1 github_push &&
	test "$(cat status)" = 202 &&
	printf "%s\n" "{\"deployment\":1,\"status\":\"queued\",\"url\":\"/api/deployments/1\"}" >expect &&
	test_cmp expect out &&
	# The worker picks it up at once (and fails: there is no repo.git here),
	# so its status may already have moved on.
	test "$(count_deployments)" = 1 &&
	api_get /api/apps/demo/deployments \
		".deployments[] | \"\(.id)|\(.app)|\(.commit)|\(.ref)|\(.sender)|\(.author)|\(.message)\"" >actual &&
	echo "1|demo|$SHA|refs/heads/main|github|Kim Jiwoo|add the map" >expect &&
	test_cmp expect actual &&
	case $(deployment 1 .status) in
	queued|running|failed) ;;
	*) false ;;
	esac &&
	# (the API does not show delivery ids)
	test "$(db "SELECT deployment FROM deliveries WHERE delivery = '"'"'gh-1'"'"'")" = 1
'

test_expect_success 'the same delivery again is a duplicate and stores nothing' '
	DELIVERY=gh-1 github_push &&
	test "$(cat status)" = 200 &&
	echo "{\"duplicate\":1}" >expect &&
	test_cmp expect out &&
	test "$(count_deployments)" = 1
'

test_expect_success 'a form-encoded body (payload=...) is accepted' '
	push_json refs/heads/main $SHA &&
	printf "payload=" >form &&
	sed "s/%/%25/g; s/&/%26/g; s/+/%2B/g; s/ /+/g; s/=/%3D/g" push.json | tr -d "\n" >>form &&
	sig=$(hmac_hex "$DEMO_SECRET" form) &&
	hook demo -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: gh-form" \
		-H "X-Hub-Signature-256: sha256=$sig" \
		-H "Content-Type: application/x-www-form-urlencoded" --data-binary @form &&
	test "$(cat status)" = 202 &&
	test "$(queued_deployment .author)" = "Kim Jiwoo" &&
	# Its delivery id was read too: the same delivery again is a duplicate.
	id=$(jq .deployment out) &&
	hook demo -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: gh-form" \
		-H "X-Hub-Signature-256: sha256=$sig" \
		-H "Content-Type: application/x-www-form-urlencoded" --data-binary @form &&
	test "$(cat status)" = 200 &&
	test "$(cat out)" = "{\"duplicate\":$id}"
'

test_expect_success 'the second secret of a rotating pair is accepted' '
	printf "%s\n%s\n" "$DEMO_SECRET" "$DEMO_SECRET2" >demo.secret &&
	stop_turnout && start_turnout &&
	push_json refs/heads/main $SHA &&
	SECRET=$DEMO_SECRET2 DELIVERY=gh-rot github_push &&
	test "$(cat status)" = 202 &&
	DELIVERY=gh-rot-old github_push &&
	test "$(cat status)" = 202
'

test_expect_success 'ping answers pong and stores nothing' '
	before=$(count_deployments) &&
	echo "{\"zen\":\"Design for failure.\",\"hook_id\":42}" >ping.json &&
	sig=$(hmac_hex "$DEMO_SECRET" ping.json) &&
	hook demo -H "X-GitHub-Event: ping" -H "X-GitHub-Delivery: gh-ping" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @ping.json &&
	test "$(cat status)" = 200 &&
	echo "{\"pong\":true}" >expect &&
	test_cmp expect out &&
	test "$(count_deployments)" = "$before"
'

test_expect_success 'push to another branch is ignored' '
	before=$(count_deployments) &&
	push_json refs/heads/feature $SHA &&
	github_push &&
	test "$(cat status)" = 200 &&
	echo "{\"ignored\":\"branch '"'"'feature'"'"' is not '"'"'main'"'"'\"}" >expect &&
	test_cmp expect out &&
	test "$(count_deployments)" = "$before"
'

test_expect_success 'a tag push is ignored (deploy_on = branch, the default)' '
	before=$(count_deployments) &&
	push_json refs/tags/v1.2.0 $SHA &&
	github_push &&
	test "$(cat status)" = 200 &&
	test_grep "\"ignored\":\"tag '"'"'v1.2.0'"'"': tags are not deployed (deploy_on)\"" out &&
	test "$(count_deployments)" = "$before"
'

test_expect_success 'deleting the branch is ignored' '
	before=$(count_deployments) &&
	cat >push.json <<-\EOF &&
	{"ref":"refs/heads/main","before":"0123456789abcdef0123456789abcdef01234567",
	 "after":"0000000000000000000000000000000000000000","deleted":true,"head_commit":null}
	EOF
	github_push &&
	test "$(cat status)" = 200 &&
	test_grep "was deleted" out &&
	test "$(count_deployments)" = "$before"
'

test_expect_success 'a wrong signature is 401 and stores nothing' '
	before=$(count_deployments) &&
	push_json refs/heads/main $SHA &&
	SECRET=guessed github_push &&
	test "$(cat status)" = 401 &&
	test_grep "\"error\":\"X-Hub-Signature-256 does not match\"" out &&
	test "$(count_deployments)" = "$before"
'

test_expect_success 'a missing signature is 401 and stores nothing' '
	before=$(count_deployments) &&
	hook demo -H "X-GitHub-Event: push" -H "Content-Type: application/json" --data-binary @push.json &&
	test "$(cat status)" = 401 &&
	test_grep "missing X-Hub-Signature-256" out &&
	test "$(count_deployments)" = "$before"
'

test_expect_success 'a body signed for something else is 401 (signature covers the raw body)' '
	sig=$(hmac_hex "$DEMO_SECRET" push.json) &&
	sed s/main/main2/ push.json >tampered.json &&
	hook demo -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=$sig" \
		--data-binary @tampered.json &&
	test "$(cat status)" = 401
'

test_expect_success 'an unknown app is 404 with a JSON error' '
	hook nope -H "X-GitHub-Event: push" --data-binary @push.json &&
	test "$(cat status)" = 404 &&
	test_grep "\"error\":\"no such app\"" out
'

test_expect_success 'GET on a hook is 405 with Allow: POST' '
	curl -sS -D headers -o out -w "%{http_code}" "$TURNOUT_URL/hooks/demo" >status &&
	test "$(cat status)" = 405 &&
	test_grep -i "^allow: POST" headers &&
	test_grep -i "^content-type: application/json" headers &&
	test "$(cat out)" = "{\"error\":\"method not allowed: use POST\"}"
'

test_expect_success 'an unparsable body is 400 with the reason, nothing stored' '
	before=$(count_deployments) &&
	printf "{\"ref\": oops" >push.json &&
	github_push &&
	test "$(cat status)" = 400 &&
	test_grep "\"error\":\"body is not JSON" out &&
	test "$(count_deployments)" = "$before"
'

test_expect_success 'a push without after or ref is 400' '
	printf "{\"ref\":\"refs/heads/main\"}" >push.json &&
	github_push &&
	test "$(cat status)" = 400 &&
	test_grep "after" out &&
	printf "{\"after\":\"%s\"}" $SHA >push.json &&
	github_push &&
	test "$(cat status)" = 400 &&
	test_grep "ref" out
'

test_expect_success 'shell text in a branch name or message stays data' '
	before=$(count_deployments) &&
	push_json "refs/heads/\$(touch pwned)" $SHA &&
	github_push &&
	test "$(cat status)" = 200 &&
	push_json refs/heads/main $SHA "\`touch pwned2\` \$(touch pwned3)" &&
	github_push &&
	test "$(cat status)" = 202 &&
	test_path_is_missing pwned &&
	test_path_is_missing pwned2 &&
	test_path_is_missing pwned3 &&
	test "$(queued_deployment .message)" = "\`touch pwned2\` \$(touch pwned3)"
'

test_expect_success 'a commit id that is not hex is refused' '
	push_json refs/heads/main "\$(touch pwned)" &&
	github_push &&
	test "$(cat status)" = 400 &&
	test_path_is_missing pwned
'

test_expect_success 'healthz answers ok' '
	curl -sS -o out -w "%{http_code}" "$TURNOUT_URL/healthz" >status &&
	test "$(cat status)" = 200 &&
	echo ok >expect &&
	test_cmp expect out
'

test_expect_success 'the secret never reaches the log' '
	test -s turnout.log &&
	! grep -F "$DEMO_SECRET" turnout.log &&
	! grep -F "$DEMO_SECRET2" turnout.log
'

test_expect_success 'a queued row survives a daemon restart' '
	n=$(count_deployments) &&
	stop_turnout &&
	start_turnout &&
	test "$(count_deployments)" = "$n"
'

test_done
