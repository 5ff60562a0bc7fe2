#!/bin/sh
# The README's demo: a real blue/green deployment on loopback.
#
# Builds turnout and the demo app, then starts in ./_demo:
#   nginx    on 127.0.0.1:8080, proxying to the live color
#   blue     the demo app on 8082, green on 8081 (as in the blog post)
#   turnout  on 127.0.0.1:9000
# and a git repository whose post-receive hook sends turnout a signed
# GitHub push webhook. It pushes two commits, and for each one prints the
# steps, what nginx serves, and how many requests a client polling nginx
# all along saw fail. Then (on a terminal) it keeps running: push to
# _demo/work yourself and watch. Ctrl-C stops everything it started.
#
# Ports: TURNOUT_DEMO_PORT (9000), TURNOUT_DEMO_PROXY_PORT (8080).
# TURNOUT_DEMO_SWITCH=socket runs it with switch = socket (colors on unix
# sockets, nginx proxying to a symlink turnout swaps: no reload).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/deps.sh
if [ ! -x _build/demo/turnout ] || [ ! -x _build/demo/turnout-net ] || [ -n "$(find src sql web contrib/demo-app -newer _build/demo/turnout 2>/dev/null | head -1)" ]; then
	echo "demo: building turnout" >&2
	autoreconf -fi >/dev/null 2>&1
	mkdir -p _build/demo
	(cd _build/demo && "$top/configure" -q && make -s -j"$(nproc)" turnout turnout-net contrib/demo-app/demo-app)
fi
bin=$top/_build/demo/turnout
DEMO_APP=$top/_build/demo/contrib/demo-app/demo-app
port=${TURNOUT_DEMO_PORT:-9000}
proxy=${TURNOUT_DEMO_PROXY_PORT:-8080}
kind=${TURNOUT_DEMO_SWITCH:-nginx}
nginx=$(command -v nginx || echo /usr/sbin/nginx)
demo=$top/_demo
RUN=$demo/run
export DEMO_APP RUN

# Stop what an earlier run may have left, by the pids it wrote.
for f in "$RUN"/*.pid "$demo"/nginx/nginx.pid; do
	[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
done
rm -rf "$demo" && mkdir -p "$demo/run" "$demo/nginx/tmp" && cd "$demo"

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >demo.secret
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >token
chmod 600 demo.secret token

# The app's start and stop: the demo app for $TURNOUT_COLOR, from the release dir.
cat >app.sh <<'EOS'
#!/bin/sh
pidfile=$RUN/app-$TURNOUT_COLOR.pid
case $1 in
start)
	nohup "$DEMO_APP" >>"$RUN/app-$TURNOUT_COLOR.log" 2>&1 &
	echo $! >"$pidfile" ;;
stop)
	[ -f "$pidfile" ] || exit 0
	kill "$(cat "$pidfile")" 2>/dev/null
	sleep 0.2
	rm -f "$pidfile" ;;
esac
EOS
chmod +x app.sh

user=
[ "$(id -u)" = 0 ] && user="user root;"
cat >nginx/nginx.conf <<EOC
$user
worker_processes 2;
pid $demo/nginx/nginx.pid;
error_log $demo/nginx/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path $demo/nginx/tmp/body;
    proxy_temp_path $demo/nginx/tmp/proxy;
    fastcgi_temp_path $demo/nginx/tmp/fastcgi;
    uwsgi_temp_path $demo/nginx/tmp/uwsgi;
    scgi_temp_path $demo/nginx/tmp/scgi;
    $(if [ "$kind" = socket ]; then
	echo "upstream demo { server unix:$demo/run/demo.sock; }   # no keepalive: see README"
    else
	echo "include $demo/nginx/upstream.conf;     # written by turnout"
    fi)
    server {
        listen 127.0.0.1:$proxy;
        location / {
            proxy_pass http://demo;
            $([ "$kind" = socket ] || echo 'add_header X-Turnout-Color $turnout_color_demo always;')
        }
    }
}
EOC
ln -s "$demo/run/green.sock" run/demo.sock
# Before the first deployment nginx points at green (8081), like the blog's.
printf 'upstream demo { server 127.0.0.1:8081; }\nmap $host $turnout_color_demo { default "green"; }\n' >nginx/upstream.conf

cat >turnout.conf <<EOC
[server]
listen = 127.0.0.1:$port
state_dir = state
token_file = token

[app "demo"]
repo = $demo/repo.git
branch = main
secret_file = demo.secret
start = $demo/app.sh start
stop = $demo/app.sh stop
health_timeout = 10
confirm = http://127.0.0.1:$proxy/confirm
confirm_timeout = 10
EOC
if [ "$kind" = socket ]; then
	cat >>turnout.conf <<EOC
switch = socket
blue_socket = $demo/run/blue.sock
green_socket = $demo/run/green.sock
socket_link = $demo/run/demo.sock
health = http://localhost/healthz
EOC
else
	cat >>turnout.conf <<EOC
blue_port = 8082
green_port = 8081
health = http://127.0.0.1:\$TURNOUT_PORT/healthz
nginx_upstream = $demo/nginx/upstream.conf
nginx_test = $demo/nginx.sh -t -q
nginx_reload = $demo/nginx.sh -s reload
nginx_pid = $demo/nginx/nginx.pid
EOC
fi
printf '#!/bin/sh\nexec "%s" -p "%s" -c "%s" "$@"\n' "$nginx" "$demo/nginx" "$demo/nginx/nginx.conf" >nginx.sh
chmod +x nginx.sh

# The repository, with a hook that tells turnout about each push, signed.
git init -q --bare repo.git
cat >repo.git/hooks/post-receive <<EOH
#!/bin/sh
while read old new ref; do
	[ "\$ref" = refs/heads/main ] || continue
	msg=\$(git log -1 --format=%s "\$new")
	printf '{"ref":"%s","before":"%s","after":"%s","head_commit":{"message":"%s","author":{"name":"%s"}}}' \\
		"\$ref" "\$old" "\$new" "\$(echo "\$msg" | tr -d '"\\\\')" "\$(git log -1 --format=%an "\$new" | tr -d '"\\\\')" >"$demo/push.json"
	sig=\$(openssl dgst -sha256 -hmac "\$(cat $demo/demo.secret)" "$demo/push.json" | sed 's/^.*= //')
	curl -sS -X POST -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: \$new" \\
		-H 'Content-Type: application/json' -H "X-Hub-Signature-256: sha256=\$sig" \\
		--data-binary @"$demo/push.json" http://127.0.0.1:$port/hooks/demo >"$demo/answer.json"
	echo "turnout answered: \$(cat "$demo/answer.json")"
done
EOH
chmod +x repo.git/hooks/post-receive
git init -q -b main work
git -C work config user.name "Demo User"
git -C work config user.email demo@example.com
git -C work remote add origin "$demo/repo.git"

cleanup () {
	trap - EXIT INT TERM
	[ -n "${poller:-}" ] && kill "$poller" 2>/dev/null
	[ -n "${tpid:-}" ] && kill "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
	for f in "$RUN"/*.pid "$demo"/nginx/nginx.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	return 0
}
trap cleanup EXIT INT TERM

"$nginx" -p "$demo/nginx" -c "$demo/nginx/nginx.conf" -e "$demo/nginx/error.log"
"$bin" check-config -c turnout.conf
"$bin" serve -c turnout.conf 2>turnout.log &
tpid=$!
i=0
until grep -q "listening on" turnout.log; do
	i=$((i + 1)); [ $i -lt 50 ] && kill -0 $tpid 2>/dev/null || { cat turnout.log; exit 1; }
	sleep 0.1
done

# A client that polls nginx all along, as users would.
( while :; do curl -s -o /dev/null -w '%{http_code}\n' "http://127.0.0.1:$proxy/" >>poll.log; sleep 0.02; done ) &
poller=$!

api () {
	curl -sS -H "Authorization: Bearer $(cat token)" "http://127.0.0.1:$port$1"
}

# push_and_watch MESSAGE: commit, push (the hook sends the webhook), follow it.
push_and_watch () {
	: >poll.log
	date +%s%N >work/VERSION
	git -C work add VERSION
	git -C work commit -q -m "$1"
	echo
	echo "\$ git push    # $1"
	git -C work push -q origin main 2>&1 | sed 's/^remote: /  /; s/ *$//'
	id=$(sed -n 's/.*"deployment":\([0-9]*\).*/\1/p' answer.json)
	[ -n "$id" ] || { echo "no deployment was queued"; exit 1; }
	while :; do
		st=$(api "/api/deployments/$id" | sed -n 's/.*"status":"\([a-z_]*\)","commit".*/\1/p')
		case $st in queued|running|"") sleep 0.2 ;; *) break ;; esac
	done
	api "/api/deployments/$id" | tr '{' '\n' | sed -n 's/^"name":"\([a-z]*\)","status":"\([a-z]*\)","detail":\("[^"]*"\|null\).*/  \1: \2 \3/p' | sed 's/ null$//; s/"//g'
	echo "deployment $id: $st"
	echo "nginx now says: $(curl -s "http://127.0.0.1:$proxy/")"
	echo "client polling nginx: $(grep -c '^200$' poll.log) answered 200, $(grep -vc '^200$' poll.log) failed${2:-}"
}

cat <<EOT

turnout     http://127.0.0.1:$port   (log: _demo/turnout.log)
dashboard   http://127.0.0.1:$port/  log in with the token: $(cat token)
nginx       http://127.0.0.1:$proxy  -> the live color
repository  _demo/work  (git push there deploys)
EOT
push_and_watch "First release" " (nothing ran before it, so nginx had no app to reach until the switch)"
push_and_watch "Second release"
echo
echo "Roll back with:  TURNOUT_CONFIG=$demo/turnout.conf $bin rollback demo --wait"
if [ -t 0 ] && [ -z "${CI:-}" ]; then
	echo "turnout keeps running: open the dashboard, then commit and push in _demo/work"
	echo "(cd _demo/work && date >VERSION && git commit -qam change && git push -q) and watch it"
	echo "go live step by step; Rollback is one click. Ctrl-C stops it all."
	wait $tpid
fi
