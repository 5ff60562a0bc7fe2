# Sends signed webhooks the way each forge does.
#
#   hook APP [curl args]      POST to /hooks/APP; the status goes to ./status,
#                             the body to ./out
#   hmac_hex KEY FILE         hex HMAC-SHA256 of FILE's bytes under KEY
#   push_json REF AFTER [MSG] writes a GitHub-style push to ./push.json
#   count_deployments         how many deployments the daemon has stored
#   queued_deployment FILTER  jq FILTER of the deployment that the 202 answer
#                             in ./out queued, as GET /api/deployments/ID shows it

hook () {
	app=$1
	shift
	curl -sS -o out -w '%{http_code}' -X POST "$@" "$TURNOUT_URL/hooks/$app" >status
}

hmac_hex () {
	openssl dgst -sha256 -hmac "$1" "$2" | sed 's/^.*= //'
}

# HMAC under a key given as base64 (Standard Webhooks' whsec_ secrets), base64 out.
hmac_b64_key () {
	hexkey=$(printf '%s' "$1" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary "$2" | base64 | tr -d '\n'
}

push_json () {
	cat >push.json <<-EOJ
	{"ref":"$1","before":"1111111111111111111111111111111111111111","after":"$2",
	 "deleted":false,"repository":{"full_name":"octo/demo","clone_url":"https://evil.example/x.git"},
	 "head_commit":{"id":"$2","message":"${3:-fix the thing}","author":{"name":"Kim Jiwoo","email":"kim@example.com"}}}
	EOJ
}

# Posts push.json as GitHub would, signed with SECRET (default the demo secret).
github_push () {
	sig=$(hmac_hex "${SECRET:-$DEMO_SECRET}" push.json) &&
	hook demo -H 'Content-Type: application/json' -H 'X-GitHub-Event: push' \
		-H "X-GitHub-Delivery: ${DELIVERY:-$(date +%s%N)}" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @push.json "$@"
}

# How many deployments the daemon holds, of any app: the sum of /metrics'
# turnout_deployments{app,status} gauges.
count_deployments () {
	api_get /metrics >metrics.out &&
	awk '/^turnout_deployments\{/ { n += $NF } END { print n + 0 }' metrics.out
}

queued_deployment () {
	_hook_id=$(jq -r .deployment out) &&
	deployment "$_hook_id" "$1"
}
