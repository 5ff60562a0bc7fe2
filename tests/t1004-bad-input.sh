#!/bin/sh
# The bad-input matrix: each malformed or hostile request gets its
# documented answer (a 4xx with a JSON error, or what the protocol
# prescribes), and nothing is stored or changed by it.

test_description='bad input: a clear answer, nothing stored'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

SHA=0123456789abcdef0123456789abcdef01234567

# The deployments the API shows for demo.
deployments () {
	curl -sS -H "Authorization: Bearer test-token" "$TURNOUT_URL/api/apps/demo/deployments" >list.json &&
	jq '.deployments | length' list.json
}

# Posts body file $1 as a GitHub push signed with the demo secret; more curl args after.
signed () {
	signed_file=$1
	shift
	sig=$(hmac_hex "$DEMO_SECRET" "$signed_file") &&
	hook demo -H "Content-Type: application/json" -H "X-GitHub-Event: push" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @"$signed_file" "$@"
}

# The answer was status $1 with a JSON error.
answered () {
	test "$(cat status)" = "$1" &&
	jq -e ".error | type == \"string\"" out >/dev/null
}

test_expect_success 'start the daemon' '
	write_config &&
	start_turnout &&
	test "$(deployments)" = 0
'

test_expect_success 'path tricks: dot segments, encoded dots and slashes, NUL, long names are 404' '
	for path in "/hooks/../hooks/demo" "/hooks/./demo" "/hooks/%2e%2e/demo" \
		"/hooks/demo%2f.." "/hooks/de%00mo" "/hooks/demo/" "/hooks//demo" \
		"/hooks/$(printf "%0300d" 0)"
	do
		curl -sS --path-as-is -o out -w "%{http_code}" -X POST -H "X-GitHub-Event: push" \
			-d "{}" "$TURNOUT_URL$path" >status &&
		answered 404 || { echo "$path: $(cat status) $(cat out)"; return 1; }
	done &&
	test "$(deployments)" = 0
'

test_expect_success 'a percent-encoded app name is the same name (%64emo is demo)' '
	curl -sS -o out -w "%{http_code}" -X POST -H "X-GitHub-Event: push" -d "{}" \
		"$TURNOUT_URL/hooks/%64emo" >status &&
	answered 401 && test_grep "missing X-Hub-Signature-256" out
'

test_expect_success 'a very long app name in the URL gets a 4xx' '
	long=$(printf "%08000d" 0) &&
	curl -sS -o out -w "%{http_code}" -X POST -d "{}" "$TURNOUT_URL/hooks/$long" >status &&
	case $(cat status) in 404|414|431) ;; *) false ;; esac
'

test_expect_success 'a huge header and very many headers get 431, the daemon lives on' '
	big=$(head -c 40000 /dev/zero | tr "\0" a) &&
	hook demo -H "X-GitHub-Event: push" -H "X-Big: $big" -d "{}" &&
	test "$(cat status)" = 431 &&
	i=0 && : >many.cfg &&
	while test $i -lt 3000; do echo "header = \"X-H$i: v\"" >>many.cfg && i=$((i + 1)); done &&
	hook demo -K many.cfg -H "X-GitHub-Event: push" -d "{}" &&
	test "$(cat status)" = 431 &&
	curl -sSf "$TURNOUT_URL/healthz" >/dev/null &&
	test "$(deployments)" = 0
'

test_expect_success 'a signature, event or delivery header given twice is 400' '
	push_json refs/heads/main $SHA &&
	sig=$(hmac_hex "$DEMO_SECRET" push.json) &&
	hook demo -H "X-GitHub-Event: push" -H "X-Hub-Signature-256: sha256=$sig" \
		-H "X-Hub-Signature-256: sha256=00" --data-binary @push.json &&
	answered 400 && test_grep "X-Hub-Signature-256 header is given more than once" out &&
	hook demo -H "X-GitHub-Event: ping" -H "X-GitHub-Event: push" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @push.json &&
	answered 400 && test_grep "X-GitHub-Event header is given more than once" out &&
	signed push.json -H "X-GitHub-Delivery: a" -H "X-GitHub-Delivery: b" &&
	answered 400 &&
	test "$(deployments)" = 0
'

test_expect_success 'invalid UTF-8 and deeply nested JSON are 400' '
	printf "{\"ref\":\"refs/heads/main\",\"after\":\"$SHA\",\"head_commit\":{\"message\":\"\377\376\"}}" >bad-utf8.json &&
	signed bad-utf8.json &&
	answered 400 && test_grep "bad .head_commit.message.: not UTF-8" out &&
	{ head -c 100000 /dev/zero | tr "\0" "["; } >deep.json &&
	signed deep.json &&
	answered 400 &&
	curl -sSf "$TURNOUT_URL/healthz" >/dev/null &&
	test "$(deployments)" = 0
'

test_expect_success 'a wrong JSON type for a field that is read is 400' '
	for body in \
		"{\"ref\":1,\"after\":\"$SHA\"}" \
		"{\"ref\":[\"refs/heads/main\"],\"after\":\"$SHA\"}" \
		"{\"ref\":\"refs/heads/main\",\"after\":{}}" \
		"{\"ref\":\"refs/heads/main\",\"after\":40}" \
		"{\"ref\":\"refs/heads/main\",\"after\":\"$SHA\",\"deleted\":\"no\"}" \
		"{\"ref\":\"refs/heads/main\",\"after\":\"$SHA\",\"head_commit\":\"x\"}" \
		"{\"ref\":\"refs/heads/main\",\"after\":\"$SHA\",\"head_commit\":{\"message\":1}}" \
		"{\"ref\":\"refs/heads/main\",\"after\":\"$SHA\",\"head_commit\":{\"author\":{\"name\":[]}}}" \
		"[]" "\"push\"" "null"
	do
		printf "%s" "$body" >typed.json &&
		signed typed.json &&
		answered 400 || { echo "$body: $(cat status) $(cat out)"; return 1; }
	done &&
	test "$(deployments)" = 0
'

test_expect_success 'commit ids that are not 40 or 64 hex digits are 400' '
	for after in xyz "${SHA%?}" "${SHA}0" "$(echo $SHA | tr a-f A-F)x" "../../etc/passwd" \
		"$SHA; touch pwned" "" " $SHA"
	do
		push_json refs/heads/main "$after" &&
		signed push.json &&
		answered 400 || { echo "$after: $(cat status) $(cat out)"; return 1; }
	done &&
	test "$(deployments)" = 0
'

test_expect_success 'a form body without a payload field is 400' '
	printf "a=1&b=2" >form &&
	sig=$(hmac_hex "$DEMO_SECRET" form) &&
	hook demo -H "Content-Type: application/x-www-form-urlencoded" -H "X-GitHub-Event: push" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @form &&
	answered 400 &&
	test "$(deployments)" = 0
'

test_expect_success 'API calls without the token, with a wrong one, or in the query string are 401' '
	for auth in "" "Authorization: Bearer wrong" "Authorization: test-token" \
		"Authorization: Basic dGVzdC10b2tlbg=="
	do
		curl -sS -o out -w "%{http_code}" ${auth:+-H "$auth"} -X POST \
			"$TURNOUT_URL/api/apps/demo/deploy" >status &&
		answered 401 || { echo "$auth: $(cat status)"; return 1; }
	done &&
	curl -sS -o out -w "%{http_code}" -X POST \
		"$TURNOUT_URL/api/apps/demo/deploy?token=test-token" >status &&
	answered 401 &&
	curl -sS -o out -w "%{http_code}" "$TURNOUT_URL/api/apps?access_token=test-token" >status &&
	answered 401 &&
	test "$(deployments)" = 0
'

test_expect_success 'a dashboard action without its CSRF token is 403' '
	curl -sS -c jar -o out -w "%{http_code}" -H "Content-Type: application/json" \
		-d "{\"token\":\"test-token\"}" "$TURNOUT_URL/api/session" >status &&
	test "$(cat status)" = 200 &&
	csrf=$(jq -r .csrf out) &&
	curl -sS -b jar -o out -w "%{http_code}" -X POST "$TURNOUT_URL/api/apps/demo/deploy" >status &&
	answered 403 &&
	curl -sS -b jar -o out -w "%{http_code}" -X POST -H "X-CSRF-Token: wrong-$csrf" \
		"$TURNOUT_URL/api/apps/demo/deploy" >status &&
	answered 403 &&
	test "$(deployments)" = 0
'

test_expect_success 'HTTP/1.0, Expect: 100-continue and a chunked body are read as usual' '
	push_json refs/heads/other $SHA &&
	signed push.json --http1.0 &&
	test "$(cat status)" = 200 && test_grep "ignored" out &&
	signed push.json -H "Expect: 100-continue" &&
	test "$(cat status)" = 200 && test_grep "ignored" out &&
	signed push.json -H "Transfer-Encoding: chunked" &&
	test "$(cat status)" = 200 && test_grep "ignored" out &&
	test "$(deployments)" = 0
'

test_expect_success 'pipelined requests get one answer each, in order' '
	port=${TURNOUT_URL##*:} &&
	printf "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >pipelined &&
	timeout 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; cat pipelined >&3; cat <&3" >answers &&
	grep "^HTTP/1.1 " answers | tr -d "\r" >codes &&
	printf "HTTP/1.1 200 OK\nHTTP/1.1 404 Not Found\nHTTP/1.1 200 OK\n" >expect &&
	test_cmp expect codes
'

test_expect_success 'shell text in every payload field that is kept reaches no shell' '
	cat >shell.json <<-EOF &&
	{"ref":"refs/heads/main","after":"$SHA","before":"$SHA",
	 "head_commit":{"id":"$SHA","message":"\$(touch pwned-msg) \`touch pwned-tick\`; touch pwned-semi",
	  "author":{"name":"\$(touch pwned-author)"}},
	 "repository":{"clone_url":"file://\$(touch pwned-repo)"}}
	EOF
	signed shell.json -H "X-GitHub-Delivery: shell-1" &&
	test "$(cat status)" = 202 &&
	id=$(jq -r .deployment out) &&
	# It runs (and fails: there is no repo): the commands never see this text.
	i=0 && while test $i -lt 100; do
		curl -sS -H "Authorization: Bearer test-token" "$TURNOUT_URL/api/deployments/$id" >d.json &&
		st=$(jq -r .status d.json) &&
		case $st in queued|running) ;; *) break ;; esac
		sleep 0.1; i=$((i + 1))
	done &&
	test "$st" = failed &&
	test_grep "touch pwned-msg" d.json &&
	! ls pwned-* state/pwned-* 2>/dev/null &&
	! find . -name "pwned-*" | grep .
'

test_done
