# A whole stack on loopback for pipeline tests: a real git repository, a
# real nginx (as a normal user config on a free high port), the demo app
# as the two colors, and turnout configured to deploy it.
#
#   setup_stack [EXTRA]   makes it all and starts nginx and turnout;
#                         EXTRA lines are appended to the app section;
#                         $NGINX_HTTP_EXTRA and $NGINX_LOCATION_EXTRA go
#                         into nginx's http {} and location / {}
#   commit_push FILE TEXT MSG   commits (FILE may be "-" for none), pushes
#                         to the bare repo and sends the signed webhook;
#                         sets COMMIT and DEPLOYMENT
#   wait_status ID STATUS...  waits (60 s at most) until deployment ID is
#                         in one of the STATUSes; fails as soon as it has
#                         ended in another
#   proxy_says            what nginx answers for / right now; fails unless
#                         that is a 2xx answer
#   active_color          the color turnout says is live (GET /api/apps)
#   queued_id             the deployment id in ./out's 202 answer
#   (api, api_get and the other readers are in lib-daemon.sh)

. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
DEMO_APP=$TURNOUT_BUILD_DIR/contrib/demo-app/demo-app
export DEMO_APP

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port () {
	while :
	do
		p=$(( (($(od -An -N2 -tu2 /dev/urandom) % 30000)) + 20000 ))
		hex=$(printf '%04X' "$p")
		if ! grep -q ":$hex " /proc/net/tcp /proc/net/tcp6 2>/dev/null
		then
			echo "$p"
			return 0
		fi
	done
}

test_lazy_prereq NGINX 'test -x "$NGINX" || command -v nginx >/dev/null'

# Every script that uses this stack needs a real nginx (or HAProxy).
if test "${SWITCH:-nginx}" = haproxy
then
	if ! test -x "$HAPROXY"
	then
		skip_all='haproxy is not installed'
		test_done
	fi
elif ! test_have_prereq NGINX
then
	skip_all='nginx is not installed'
	test_done
fi

# The app's start/stop: runs the demo app for $TURNOUT_COLOR from the
# release dir, its pid in $RUN. A release holding "start-fails" fails.
# APP_DIR (default: here) holds app.sh and run/.
write_app_script () {
	APP_DIR=${APP_DIR:-$PWD} &&
	mkdir -p "$APP_DIR/run" &&
	RUN=$APP_DIR/run && export RUN &&
	cat >"$APP_DIR/app.sh" <<-\EOF &&
	#!/bin/sh
	pidfile=$RUN/app-$TURNOUT_COLOR.pid
	case $1 in
	start)
		test -f start-fails && { echo "start-fails is here" >&2; exit 4; }
		nohup "$DEMO_APP" >>"$RUN/app-$TURNOUT_COLOR.log" 2>&1 &
		echo $! >"$pidfile"
		echo "started $TURNOUT_COLOR on $TURNOUT_PORT for $TURNOUT_COMMIT"
		;;
	stop)
		test -f "$pidfile" || exit 0
		pid=$(cat "$pidfile")
		kill "$pid" 2>/dev/null
		i=0
		while kill -0 "$pid" 2>/dev/null && test $i -lt 50
		do
			sleep 0.1; i=$((i + 1))
		done
		rm -f "$pidfile"
		echo "stopped $TURNOUT_COLOR"
		;;
	esac
	EOF
	chmod +x "$APP_DIR/app.sh"
}

stop_apps () {
	for f in "$RUN"/app-*.pid "$RUN"/build.pid
	do
		test -f "$f" && kill "$(cat "$f")" 2>/dev/null
	done
	return 0
}

# write_nginx_conf UPSTREAM [LOCATION]: nginx on 127.0.0.1:$NGINX_PORT,
# proxying to the upstream block(s) given, as a normal user's config.
write_nginx_conf () {
	mkdir -p nginx/tmp nginx/extra &&
	if test "$(id -u)" = 0
	then
		user="user root;"
	else
		user=
	fi &&
	cat >nginx/nginx.conf <<-EOF
	$user
	worker_processes 1;
	pid $PWD/nginx/nginx.pid;
	error_log $PWD/nginx/error.log warn;
	events { worker_connections 256; }
	http {
	    access_log off;
	    client_body_temp_path $PWD/nginx/tmp/body;
	    proxy_temp_path $PWD/nginx/tmp/proxy;
	    fastcgi_temp_path $PWD/nginx/tmp/fastcgi;
	    uwsgi_temp_path $PWD/nginx/tmp/uwsgi;
	    scgi_temp_path $PWD/nginx/tmp/scgi;
	    $1
	    include $PWD/nginx/extra/*.conf;
	    server {
	        listen 127.0.0.1:$NGINX_PORT;
	        location / {
	            proxy_pass http://demo;
	            ${2:-}
	        }
	    }
	}
	EOF
}

# nginx with this test's prefix and config, and the arguments given.
write_nginx_script () {
	printf '#!/bin/sh\nexec "%s" -p "%s" -c "%s" "$@"\n' "$NGINX" "$PWD/nginx" \
		"$PWD/nginx/nginx.conf" >nginx.sh &&
	chmod +x nginx.sh
}

start_nginx () {
	"$NGINX" -p "$PWD/nginx" -c "$PWD/nginx/nginx.conf" -e "$PWD/nginx/error.log" &&
	test_atexit 'kill -QUIT "$(cat "$TRASH_DIRECTORY/nginx/nginx.pid")" 2>/dev/null'
}

# SWITCH=haproxy: HAProxy in front, blue live and green in maintenance.
start_haproxy () {
	HAPROXY_STATS_PORT=$(free_port) &&
	cat >haproxy.cfg <<-EOF &&
	global
	    stats socket $SOCKS/haproxy.sock mode 600 level admin
	    pidfile $PWD/haproxy.pid
	defaults
	    mode http
	    timeout connect 2s
	    timeout client 30s
	    timeout server 30s
	frontend web
	    bind 127.0.0.1:$NGINX_PORT
	    default_backend demo
	    http-response set-header X-Turnout-Color %[srv_name]
	backend demo
	    server blue 127.0.0.1:$BLUE_PORT
	    server green 127.0.0.1:$GREEN_PORT disabled
	listen stats
	    bind 127.0.0.1:$HAPROXY_STATS_PORT
	    stats enable
	    stats uri /stats
	    stats admin if TRUE
	EOF
	"$HAPROXY" -D -f haproxy.cfg -p "$PWD/haproxy.pid" &&
	test_atexit 'kill "$(cat "$TRASH_DIRECTORY/haproxy.pid")" 2>/dev/null' &&
	i=0 && while test ! -S "$SOCKS/haproxy.sock" && test $i -lt 50; do sleep 0.1; i=$((i + 1)); done &&
	test -S "$SOCKS/haproxy.sock"
}

# HAProxy's status of server COLOR in backend demo, from its stats page
# (not through turnout): "no check" (ready, no health checks), DRAIN, MAINT.
haproxy_state () {
	curl -fsS "http://127.0.0.1:$HAPROXY_STATS_PORT/stats;csv" |
		awk -F, -v s="$1" '$1 == "demo" && $2 == s {print $18}'
}

# Sets server COLOR of backend demo to ready, drain or maint behind
# turnout's back, through the stats page's admin form; fails unless HAProxy
# says it did (a 303 to ";st=DONE").
haproxy_set () {
	_hs=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -d "s=$1&action=$2&b=demo" \
		"http://127.0.0.1:$HAPROXY_STATS_PORT/stats") || return 1
	case $_hs in
	"303 "*";st=DONE"*) return 0 ;;
	esac
	echo "haproxy_set $1 $2: HAProxy answered $_hs" >&2
	return 1
}

setup_stack () {
	# Unix socket paths hold at most 107 bytes: trash dirs can be deeper.
	SOCKS=$(mktemp -d /tmp/turnout-test.XXXXXX) &&
	test_atexit 'rm -rf "$SOCKS"' &&
	BLUE_PORT=$(free_port) && GREEN_PORT=$(free_port) && NGINX_PORT=$(free_port) &&
	while test "$GREEN_PORT" = "$BLUE_PORT"; do GREEN_PORT=$(free_port); done &&
	export NGINX_PORT &&
	write_app_script &&
	test_atexit stop_apps &&
	git init -q --bare repo.git &&
	git init -q -b main work &&
	(
		cd work &&
		git config user.name "Test Author" &&
		git config user.email test@example.com &&
		git config gc.auto 0 && git config maintenance.auto false &&
		printf '#!/bin/sh\necho building $TURNOUT_COMMIT\n' >build.sh &&
		git add build.sh &&
		git commit -q -m "first" &&
		git remote add origin ../repo.git &&
		git push -q origin main
	) &&
	case ${SWITCH:-nginx} in
	nginx)
		write_nginx_conf "include $PWD/nginx/upstream.conf; ${NGINX_HTTP_EXTRA:-}" \
			'add_header X-Turnout-Color $turnout_color_demo always; '"${NGINX_LOCATION_EXTRA:-}" &&
		write_nginx_script &&
		# Before any deployment nginx points at blue, where nothing runs yet.
		printf 'upstream demo { server 127.0.0.1:%s; }\nmap $host $turnout_color_demo { default "blue"; }\n' \
			"$BLUE_PORT" >nginx/upstream.conf &&
		start_nginx ;;
	socket)
		# No keepalive: pooled connections would stay on the old color.
		write_nginx_conf "upstream demo { server unix:$SOCKS/demo.sock; } ${NGINX_HTTP_EXTRA:-}" \
			"${NGINX_LOCATION_EXTRA:-}" &&
		write_nginx_script &&
		ln -s "$SOCKS/blue.sock" "$SOCKS/demo.sock" &&
		start_nginx ;;
	haproxy)
		start_haproxy ;;
	esac &&
	write_config &&
	sed -i "s/^blue_port = .*/blue_port = $BLUE_PORT/; s/^green_port = .*/green_port = $GREEN_PORT/;
		s|^start = .*|start = $APP_DIR/app.sh start|;
		s|^nginx_upstream = .*|nginx_upstream = $PWD/nginx/upstream.conf|" turnout.conf &&
	cat >>turnout.conf <<-EOF &&
	stop = $APP_DIR/app.sh stop
	build = sh ./build.sh
	confirm = http://127.0.0.1:$NGINX_PORT/confirm
	health_timeout = 5
	confirm_timeout = 5
	EOF
	case ${SWITCH:-nginx} in
	nginx)
		printf 'nginx_test = %s -t -q\nnginx_reload = %s -s reload\nnginx_pid = %s\n' \
			"$PWD/nginx.sh" "$PWD/nginx.sh" "$PWD/nginx/nginx.pid" >>turnout.conf ;;
	socket)
		sed -i "/^blue_port/d; /^green_port/d; /^nginx_upstream/d; s|^health = .*|health = http://localhost/healthz|" turnout.conf &&
		printf 'switch = socket\nblue_socket = %s\ngreen_socket = %s\nsocket_link = %s\n' \
			"$SOCKS/blue.sock" "$SOCKS/green.sock" "$SOCKS/demo.sock" >>turnout.conf ;;
	haproxy)
		sed -i "/^nginx_upstream/d" turnout.conf &&
		printf 'switch = haproxy\nhaproxy_socket = %s\nhaproxy_backend = demo\n' \
			"$SOCKS/haproxy.sock" >>turnout.conf ;;
	esac &&
	if test $# -gt 0
	then
		printf '%s\n' "$@" >>turnout.conf
	fi &&
	start_turnout
}

# commit_push FILE CONTENT MESSAGE: FILE "-" commits nothing new but an empty change.
commit_push () {
	(
		cd work &&
		if test "$1" != -
		then
			printf '%s\n' "$2" >"$1" && git add "$1"
		fi &&
		git commit -q --allow-empty -m "$3" &&
		git push -q origin main
	) &&
	COMMIT=$(git -C work rev-parse HEAD) &&
	push_webhook "$COMMIT" "$3"
}

# The signed push webhook for commit SHA of main, with MESSAGE; it must be
# queued: sets DEPLOYMENT.
push_webhook () {
	push_json refs/heads/main "$1" "$2" &&
	github_push &&
	test "$(cat status)" = 202 &&
	DEPLOYMENT=$(queued_id)
}

# The id of the deployment that the 202 answer in ./out (webhook or API) queued.
queued_id () {
	sed -n 's/.*"deployment":\([0-9]*\).*/\1/p' out
}

# git rm FILE, commit and push (no webhook).
commit_rm () {
	(cd work && git rm -q "$1" && git commit -q -m "remove $1" && git push -q origin main)
}

wait_status () {
	id=$1; shift
	i=0
	while test $i -lt 600
	do
		s=$(deployment $id .status)
		for want in "$@"
		do
			if test "$s" = "$want"
			then
				return 0
			fi
		done
		case $s in
		queued|running) ;;
		*) echo "deployment $id ended $s, not $*" >&2
		   deployment_log $id >&2
		   return 1 ;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
	echo "deployment $id still $s after 60 s" >&2
	return 1
}

proxy_says () {
	curl -fsS "http://127.0.0.1:$NGINX_PORT/"
}

active_color () {
	app_get '.active_color // ""'
}

# Succeeds when process PID runs (a zombie waiting for its reaper does not).
is_alive () {
	kill -0 "$1" 2>/dev/null && ! grep -q "^State:.*Z" "/proc/$1/status" 2>/dev/null
}

# Polls the proxy in the background until stop_poller, one status a line
# in poll.log (a function, so that "cmd && start_poller" does not send the
# whole && list to the background).
start_poller () {
	rm -f stop-polling
	# One line per request: the status and the commit that answered.
	( while test ! -f stop-polling
	  do
		r=$(curl -s -w " %{http_code}" "http://127.0.0.1:$NGINX_PORT/")
		echo "${r##* } $(echo "$r" | sed -n "s/.*commit \([0-9a-f]*\).*/\1/p")" >>poll.log
		sleep 0.01
	  done ) &
	poller=$!
}

stop_poller () {
	touch stop-polling
	wait $poller || :
}

# Three deployments back to back while start_poller hits the proxy; fails
# unless every request was answered 200, each release served until the next
# took over and never again after (no reload: no old worker answers late),
# and the last release serves.
deploy_under_load () {
	start_poller &&
	for n in 2 3 4
	do
		commit_push README "v$n" "release $n" && wait_status $DEPLOYMENT succeeded || {
			stop_poller
			return 1
		}
	done &&
	# A poll may take longer than the last switch: let one see the last release.
	i=0 &&
	while ! tail -n 1 poll.log | grep -q " $(echo $COMMIT | cut -c1-12)$" && test $i -lt 100
	do
		sleep 0.05 && i=$((i + 1))
	done &&
	stop_poller &&
	awk "{print \$1}" poll.log | sort | uniq -c &&
	test $(wc -l <poll.log) -gt 20 &&
	! grep -v "^200 [0-9a-f]\{12\}$" poll.log &&
	awk "{print \$2}" poll.log | uniq >served &&
	cat served &&
	test $(wc -l <served) -eq 4 &&
	test -z "$(sort served | uniq -d)" &&
	proxy_says | grep "color blue, commit $(echo $COMMIT | cut -c1-12)"
}
