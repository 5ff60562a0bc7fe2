#!/bin/sh
# A real Prometheus scrapes turnout while real deployments happen: every
# kind of outcome and webhook answer, then the series are asserted through
# Prometheus's own query API, the Grafana board's every panel must return
# data, and the alert rules fire.

test_description='Prometheus scrapes turnout'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

PROMETHEUS=$(command -v prometheus || echo /usr/bin/prometheus)
PROMTOOL=$(command -v promtool || echo /usr/bin/promtool)
if ! test -x "$PROMETHEUS" || ! test -x "$PROMTOOL"
then
	skip_all='prometheus and promtool are not installed (contrib/deps.sh installs them)'
	test_done
fi
RULES=$TURNOUT_SRC_DIR/contrib/prometheus/turnout-rules.yml
BOARD=$TURNOUT_SRC_DIR/contrib/grafana/turnout.json

# prom_query PROMQL: the result array of an instant query, as JSON, in ./q.
prom_query () {
	curl -sS -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" >q.json &&
	jq -e '.status == "success"' q.json >/dev/null &&
	jq -c '.data.result' q.json >q
}

# prom_value PROMQL: the single value the query answers (empty when none).
prom_value () {
	prom_query "$1" && jq -r '.[0].value[1] // empty' q
}

# prom_is PROMQL VALUE: waits (up to 20 s, a few scrapes) until the query answers VALUE.
prom_is () {
	_want=$2
	test_wait_until 20 prom_answers "$1" "$2" || {
		echo "prometheus: $1 = $(prom_value "$1"), not $_want" >&2
		return 1
	}
}
prom_answers () {
	test "$(prom_value "$1")" = "$2"
}

# webhook_count ANSWER: turnout_webhook_requests_total for that answer, summed.
webhook_count () {
	prom_value "sum(turnout_webhook_requests_total{answer=\"$1\"})"
}

# write_prometheus_yml TARGET [TOKEN_FILE]: scrape turnout at TARGET every
# second (with the token when given), with turnout's alert rules.
write_prometheus_yml () {
	{
		printf 'global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n'
		printf 'rule_files: [ "%s" ]\nscrape_configs:\n  - job_name: turnout\n' "$RULES"
		test -z "${2:-}" || printf '    authorization:\n      credentials_file: %s\n' "$2"
		printf '    static_configs:\n      - targets: [ "%s" ]\n' "$1"
	} >prometheus.yml
}

# Starts Prometheus on 127.0.0.1:$PROM_PORT with ./prometheus.yml (a
# function, so that "cmd && start_prometheus" does not send the whole &&
# list to the background).
start_prometheus () {
	"$PROMETHEUS" --config.file=prometheus.yml --storage.tsdb.path="$PWD/prom-data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >prom.log 2>&1 &
	PROM_PID=$!
	test_atexit 'kill "$PROM_PID" 2>/dev/null; wait "$PROM_PID" 2>/dev/null; :'
}

test_expect_success 'set up the stack and a Prometheus that scrapes turnout every second' '
	setup_stack &&
	PROM_PORT=$(free_port) &&
	turnout_port=${TURNOUT_URL##*:} &&
	write_prometheus_yml "127.0.0.1:$turnout_port" "$PWD/token" &&
	"$PROMTOOL" check config prometheus.yml >check.out &&
	start_prometheus &&
	test_wait_until 30 curl -fsS "http://127.0.0.1:$PROM_PORT/-/ready" -o /dev/null &&
	prom_is "up{job=\"turnout\"}" 1 &&
	prom_is "turnout_up" 1
'

test_expect_success 'promtool check metrics finds nothing to say about /metrics' '
	curl -fsS -H "Authorization: Bearer test-token" "$TURNOUT_URL/metrics" >metrics.txt &&
	"$PROMTOOL" check metrics <metrics.txt >lint.out 2>&1 &&
	test_must_be_empty lint.out &&
	test_grep "^# TYPE turnout_step_duration_seconds histogram$" metrics.txt &&
	test_grep "^process_resident_memory_bytes [1-9]" metrics.txt
'

test_expect_success 'a scenario: successes, a failed health check, an automatic rollback' '
	commit_push README v1 "first" && wait_status $DEPLOYMENT succeeded &&
	commit_push README v2 "second" && wait_status $DEPLOYMENT succeeded &&
	good=$COMMIT &&
	commit_push unhealthy yes "healthz says 503" && wait_status $DEPLOYMENT failed &&
	commit_rm unhealthy &&
	commit_push fail-confirm yes "confirm will fail" && wait_status $DEPLOYMENT rolled_back &&
	commit_rm fail-confirm &&
	commit_push README v3 "third" && wait_status $DEPLOYMENT succeeded &&
	live=$COMMIT
'

test_expect_success 'and a webhook of every answer' '
	# accepted, then duplicate: the same delivery again (v2 goes live again)
	push_json refs/heads/main "$good" "again" &&
	DELIVERY=metrics-dup github_push && test "$(cat status)" = 202 &&
	dup=$(queued_id) &&
	DELIVERY=metrics-dup github_push && test "$(cat status)" = 200 &&
	test_grep "\"duplicate\"" out &&
	wait_status $dup succeeded superseded &&
	# ignored: another branch
	push_json refs/heads/other "$live" "elsewhere" &&
	github_push && test "$(cat status)" = 200 &&
	# ping
	echo "{\"zen\":\"Keep it logically awesome.\"}" >ping.json &&
	sig=$(hmac_hex "$DEMO_SECRET" ping.json) &&
	hook demo -H "X-GitHub-Event: ping" -H "X-GitHub-Delivery: m-ping" \
		-H "X-Hub-Signature-256: sha256=$sig" --data-binary @ping.json &&
	test "$(cat status)" = 200 &&
	# bad_proof, bad_request, too_large, no_such_app, bad_method
	push_json refs/heads/main "$live" "forged" &&
	SECRET=wrong github_push && test "$(cat status)" = 401 &&
	echo "{not json" >push.json &&
	github_push && test "$(cat status)" = 400 &&
	hook demo -H "X-GitHub-Event: push" -H "Content-Length: 999999999" --data-binary "{}" &&
	test "$(cat status)" = 413 &&
	hook nope -H "X-GitHub-Event: push" --data-binary "{}" && test "$(cat status)" = 404 &&
	curl -sS -o out -w "%{http_code}" -H "X-GitHub-Event: push" "$TURNOUT_URL/hooks/demo" >status &&
	test "$(cat status)" = 405
'

test_expect_success 'and a manual rollback (back to v3)' '
	api POST /api/apps/demo/rollback &&
	test "$(cat status)" = 202 &&
	rollback=$(queued_id) &&
	wait_status $rollback succeeded &&
	proxy_says | grep "commit $(echo $live | cut -c1-12)"
'

test_expect_success 'Prometheus has the deployments, by kind and result' '
	prom_is "sum(turnout_deployments_finished_total{app=\"demo\",result=\"succeeded\",kind=\"push\"})" \
		"$(db "SELECT COUNT(*) FROM deployments WHERE status = '"'"'succeeded'"'"' AND kind = '"'"'push'"'"'")" &&
	prom_is "turnout_deployments_finished_total{app=\"demo\",kind=\"push\",result=\"failed\"}" 1 &&
	prom_is "turnout_deployments_finished_total{app=\"demo\",kind=\"push\",result=\"rolled_back\"}" 1 &&
	prom_is "turnout_deployments_finished_total{app=\"demo\",kind=\"rollback\",result=\"succeeded\"}" 1 &&
	prom_is "sum(turnout_deployments_started_total{app=\"demo\"})" \
		"$(db "SELECT COUNT(*) FROM deployments WHERE started_at IS NOT NULL")" &&
	prom_is "turnout_rollbacks_total{app=\"demo\",trigger=\"automatic\",reason=\"confirm_failed\"}" 1 &&
	prom_is "turnout_rollbacks_total{app=\"demo\",trigger=\"manual\",reason=\"requested\"}" 1
'

test_expect_success 'and the checks, the steps, the switch and the live release' '
	prom_is "turnout_checks_total{app=\"demo\",stage=\"verify\",result=\"failed\"}" 1 &&
	prom_is "turnout_checks_total{app=\"demo\",stage=\"confirm\",result=\"failed\"}" 1 &&
	test "$(prom_value "turnout_checks_total{app=\"demo\",stage=\"confirm\",result=\"succeeded\"}")" -ge 3 &&
	test "$(prom_value "sum(turnout_step_duration_seconds_count{app=\"demo\",step=\"build\"})")" -ge 5 &&
	prom_is "sum(turnout_step_duration_seconds_count{app=\"demo\",step=\"build\"})" \
		"$(prom_value "sum(turnout_step_command_duration_seconds_count{app=\"demo\",step=\"build\"})")" &&
	test "$(prom_value "count(turnout_switch_duration_seconds_bucket{app=\"demo\",kind=\"nginx\",le=\"+Inf\"})")" -ge 1 &&
	# After the manual rollback v3 serves and v2 is warm on the other color.
	color=$(active_color) &&
	prom_query "turnout_release_info{app=\"demo\",role=\"live\"}" &&
	test "$(jq -r ".[0].metric.color" q)" = "$color" &&
	test "$(jq -r ".[0].metric.commit" q)" = "$(echo $live | cut -c1-12)" &&
	prom_query "turnout_release_info{app=\"demo\",role=\"warm\"}" &&
	test "$(jq -r ".[0].metric.commit" q)" = "$(echo $good | cut -c1-12)" &&
	prom_is "turnout_live_color{app=\"demo\",color=\"$color\"}" 1 &&
	prom_is "turnout_queue_length{app=\"demo\"}" 0 &&
	test "$(prom_value "time() - turnout_last_success_timestamp_seconds{app=\"demo\"} < 600")" != ""
'

test_expect_success 'and each webhook answer, by app and sender' '
	for answer in accepted duplicate ignored ping bad_proof bad_request too_large
	do
		test_wait_until 20 test -n "$(webhook_count $answer)" || return 1
		test "$(webhook_count $answer)" -ge 1 || return 1
	done &&
	prom_is "turnout_webhook_requests_total{app=\"demo\",sender=\"github\",answer=\"duplicate\"}" 1 &&
	prom_is "turnout_webhook_requests_total{app=\"\",sender=\"github\",answer=\"no_such_app\"}" 1 &&
	prom_is "turnout_webhook_requests_total{app=\"demo\",sender=\"github\",answer=\"bad_method\"}" 1 &&
	prom_is "turnout_webhook_requests_total{app=\"demo\",sender=\"github\",answer=\"bad_proof\"}" 1 &&
	test "$(prom_value "process_open_fds")" -gt 3 &&
	# With every family filled in, the output is still clean.
	curl -fsS -H "Authorization: Bearer test-token" "$TURNOUT_URL/metrics" >metrics.txt &&
	"$PROMTOOL" check metrics <metrics.txt >lint.out 2>&1 &&
	test_must_be_empty lint.out &&
	test_grep "^turnout_webhook_requests_total{" metrics.txt &&
	test_grep "^turnout_drains_total{" metrics.txt &&
	test -n "$(prom_value "process_start_time_seconds")"
'

test_expect_success 'every panel of the Grafana board returns data' '
	jq -r ".panels[].targets[].expr" "$BOARD" >exprs &&
	test "$(wc -l <exprs)" -ge 10 &&
	while read -r expr
	do
		q=$(printf "%s" "$expr" | sed "s/\\\$app/.*/g; s/\\\$__rate_interval/5m/g; s/\\\$__range/15m/g") &&
		prom_query "$q" || { echo "cannot run: $q" >&2; return 1; }
		test "$(jq length q)" -gt 0 || { echo "no data: $q" >&2; return 1; }
	done <exprs
'

alert_fires () {
	curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/alerts" >alerts.json &&
	jq -e ".data.alerts[] | select(.labels.alertname == \"$1\" and .state == \"firing\")" \
		alerts.json >/dev/null
}

test_expect_success 'the alert rules are loaded, and a failure and a rollback fire' '
	curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/rules" >rules.json &&
	test "$(jq "[.data.groups[] | select(.name == \"turnout\") | .rules[]] | length" rules.json)" = 6 &&
	test_wait_until 20 alert_fires TurnoutDeploymentFailed &&
	test_wait_until 20 alert_fires TurnoutAutomaticRollback &&
	! alert_fires TurnoutDown
'
# The series read from the database, without the gauges of the moment.
db_series () {
	grep -E "^turnout_(deployments\{|deployments_started|deployments_finished|deployment_duration|step_duration|step_command_duration|switch_duration|rollbacks|checks|drains|last_success)" "$1"
}

test_expect_success 'metrics_listen: /metrics without a token there, and only /metrics' '
	before=$(prom_value "sum(turnout_deployments_finished_total)") &&
	test -n "$before" &&
	echo "$before" >before &&
	# This process has scraped all along: its series come mostly from its cache.
	api_get /metrics && db_series api-get.out >warm &&
	test_grep "deployments_finished_total{app=\"demo\",kind=\"rollback\",result=\"succeeded\"} 1" warm &&
	stop_turnout &&
	METRICS_PORT=$(free_port) &&
	sed -i "/^\[server\]/a metrics_listen = 127.0.0.1:$METRICS_PORT" turnout.conf &&
	start_turnout &&
	test_grep "metrics without a token on http://127.0.0.1:$METRICS_PORT/metrics" turnout.log &&
	curl -fsS "http://127.0.0.1:$METRICS_PORT/metrics" >m.txt &&
	test_grep "^turnout_up 1$" m.txt &&
	# A new process reads every row at its first scrape: the same series.
	db_series m.txt >cold &&
	test_cmp warm cold &&
	curl -sS -o out -w "%{http_code}" "http://127.0.0.1:$METRICS_PORT/api/apps" >status &&
	test "$(cat status)" = 404 &&
	curl -sS -o out -w "%{http_code}" -X POST "http://127.0.0.1:$METRICS_PORT/metrics" >status &&
	test "$(cat status)" = 405 &&
	# The main address still wants the token.
	curl -sS -o out -w "%{http_code}" "$TURNOUT_URL/metrics" >status &&
	test "$(cat status)" = 401
'

test_expect_success 'Prometheus scrapes metrics_listen; the totals outlived the restart' '
	write_prometheus_yml "127.0.0.1:$METRICS_PORT" &&
	kill -HUP $PROM_PID &&
	test_wait_until 20 prom_answers "up{job=\"turnout\",instance=\"127.0.0.1:$METRICS_PORT\"}" 1 &&
	prom_is "sum(turnout_deployments_finished_total{instance=\"127.0.0.1:$METRICS_PORT\"})" \
		"$(cat before)"
'

test_done
