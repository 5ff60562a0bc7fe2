#!/bin/sh
# turnout init APP: what it writes passes check-config, nginx -t and
# haproxy -c, serves a webhook signed with the secret it made, and a
# second init changes nothing. contrib/examples/docker-compose's nginx
# site passes nginx -t too.

test_description='turnout init: a starter setup, round trip'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

if ! command -v nginx >/dev/null || ! command -v haproxy >/dev/null
then
	skip_all='nginx or haproxy is missing (contrib/deps.sh installs them)'
	test_done
fi

# serve_on CONF: starts turnout serve on CONF, as start_turnout does on turnout.conf.
serve_on () {
	: >turnout.log
	turnout serve -c "$1" >>turnout.log 2>&1 &
	TURNOUT_PID=$!
	test_atexit stop_turnout
	test_wait_until 10 grep -q "listening on http://127.0.0.1:" turnout.log &&
	port=$(sed -n "s/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p" turnout.log) &&
	TURNOUT_URL=http://127.0.0.1:$port
}

# nginx_check SITE: nginx -t on a config whose http {} includes SITE.
nginx_check () {
	mkdir -p ng/logs &&
	cat >ng/nginx.conf <<-EOF &&
	error_log $PWD/ng/logs/error.log;
	pid $PWD/ng/nginx.pid;
	events {}
	http {
	    access_log off;
	    include $1;
	}
	EOF
	nginx -t -q -p "$PWD/ng" -c "$PWD/ng/nginx.conf"
}

test_expect_success 'init writes the config, a secret, a token and the nginx files' '
	turnout init shop --dir "$PWD/etc" --state-dir "$PWD/state" \
		--repo "$PWD/repo.git" </dev/null >out 2>err &&
	test_must_be_empty err &&
	for f in turnout.conf token shop.secret nginx-shop.conf shop-upstream.conf
	do
		test_path_is_file "etc/$f" || return 1
	done &&
	test "$(stat -c %a etc/token)" = 600 &&
	test "$(stat -c %a etc/shop.secret)" = 600 &&
	grep -Eqx "[0-9a-f]{64}" etc/token &&
	grep -Eqx "[0-9a-f]{64}" etc/shop.secret &&
	! test "$(cat etc/token)" = "$(cat etc/shop.secret)" &&
	test_grep "^green_port = 8081" etc/turnout.conf &&
	test_grep "^blue_port = 8082" etc/turnout.conf &&
	test_grep "^start = docker compose up -d --build app-\$TURNOUT_COLOR" etc/turnout.conf &&
	test_grep "^stop = docker compose stop app-\$TURNOUT_COLOR" etc/turnout.conf &&
	test_grep "server 127.0.0.1:8081;" etc/shop-upstream.conf &&
	# What to paste where, and no secret on the screen.
	test_grep "^Webhook URL: http://shop.example.com/hooks/shop" out &&
	test_grep "GitHub: Settings > Webhooks" out &&
	test_grep "GitLab: Settings > Webhooks" out &&
	test_grep "Gitea:  Settings > Webhooks" out &&
	! grep -F "$(cat etc/shop.secret)" out &&
	! grep -F "$(cat etc/token)" out
'

test_expect_success 'check-config passes on what init wrote' '
	turnout check-config -c etc/turnout.conf >out 2>&1 &&
	test_grep "etc/turnout.conf: ok, 1 app" out
'

test_expect_success 'nginx takes the site and the upstream file' '
	nginx_check "$PWD/etc/nginx-shop.conf"
'

test_expect_success 'turnout serves on it and takes a push signed with the secret init made' '
	sed "s/^listen = 127.0.0.1:9000/listen = 127.0.0.1:0/" etc/turnout.conf >run.conf &&
	sed -i "/^\[server\]/a log_level = debug" run.conf &&
	serve_on run.conf &&
	push_json refs/heads/main 1234567890abcdef1234567890abcdef12345678 &&
	sig=$(hmac_hex "$(cat etc/shop.secret)" push.json) &&
	hook shop -H "Content-Type: application/json" -H "X-GitHub-Event: push" \
		-H "X-GitHub-Delivery: init-1" -H "X-Hub-Signature-256: sha256=$sig" \
		--data-binary @push.json &&
	test "$(cat status)" = 202 &&
	curl -sS -o out -w "%{http_code}" -H "Authorization: Bearer $(cat etc/token)" \
		"$TURNOUT_URL/api/apps" >status &&
	test "$(cat status)" = 200 &&
	jq -e ".apps[0].name == \"shop\"" out &&
	stop_turnout
'

test_expect_success 'a second init changes nothing and says why' '
	md5sum etc/* >before &&
	test_expect_code 2 turnout init shop --dir "$PWD/etc" --state-dir "$PWD/state" >out 2>err &&
	test_line_count = 1 err &&
	test_grep "exists; init never overwrites a file" err &&
	md5sum etc/* >after &&
	test_cmp before after
'

test_expect_success 'one file in the way: nothing is written at all' '
	mkdir other &&
	echo mine >other/token &&
	test_expect_code 2 turnout init web --dir "$PWD/other" --state-dir "$PWD/state" 2>err &&
	test_grep "other/token. exists" err &&
	test "$(ls other)" = token &&
	test "$(cat other/token)" = mine
'

test_expect_success '--switch haproxy: check-config and haproxy -c pass' '
	turnout init web --dir "$PWD/h" --state-dir "$PWD/state" --switch haproxy >out &&
	test_path_is_file h/haproxy-web.cfg &&
	test_path_is_missing h/web-upstream.conf &&
	turnout check-config -c h/turnout.conf &&
	test_grep "^switch = haproxy" h/turnout.conf &&
	haproxy -c -q -f h/haproxy-web.cfg
'

test_expect_success '--switch socket: check-config and nginx -t pass' '
	turnout init web --dir "$PWD/s" --state-dir "$PWD/state" --switch socket >out &&
	turnout check-config -c s/turnout.conf &&
	test_grep "^socket_link = /run/turnout/web.sock" s/turnout.conf &&
	nginx_check "$PWD/s/nginx-web.conf"
'

test_expect_success 'bad arguments are exit 2 with one line that says what to do' '
	test_expect_code 2 turnout init "a b" --dir "$PWD/x" 2>err &&
	test_grep "app name .a b. may hold only" err &&
	test_expect_code 2 turnout init web --dir "$PWD/x" --switch caddy 2>err &&
	test_grep "is nginx, socket or haproxy" err &&
	test_expect_code 2 turnout init web --dir relative 2>err &&
	test_grep "absolute paths" err &&
	test_expect_code 2 turnout init web --dir "$PWD/x" --repo "a;b" 2>err &&
	test_grep "give a plain value" err &&
	test_expect_code 2 turnout init 2>err &&
	test_grep "^usage: turnout init APP" err &&
	test_path_is_missing x
'

test_expect_success 'the docker compose example: its nginx site passes nginx -t' '
	ex=$TURNOUT_SRC_DIR/contrib/examples/docker-compose &&
	test_path_is_file "$ex/docker-compose.yml" &&
	test_grep "127.0.0.1:8081:8080" "$ex/docker-compose.yml" &&
	test_grep "127.0.0.1:8082:8080" "$ex/docker-compose.yml" &&
	turnout init app --dir "$PWD/ex" --state-dir "$PWD/state" >/dev/null &&
	sed "s|/etc/turnout/app-upstream.conf|$PWD/ex/app-upstream.conf|" "$ex/example.conf" >site.conf &&
	nginx_check "$PWD/site.conf"
'

test_expect_success 'turnout help lists init' '
	turnout help >out &&
	test_grep "turnout init APP" out
'

test_done
