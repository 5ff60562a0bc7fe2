#!/bin/sh
# The README's demo: builds turnout, starts it on 127.0.0.1 with a sample
# app, sends one signed GitHub push and shows what the daemon answered and
# stored. Ctrl-C stops it. Everything lives in ./_demo.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh contrib/deps.sh
if [ ! -x _build/demo/turnout ] || [ -n "$(find src sql web -newer _build/demo/turnout 2>/dev/null | head -1)" ]; then
	echo "demo: building turnout" >&2
	autoreconf -fi >/dev/null 2>&1
	mkdir -p _build/demo
	(cd _build/demo && "$top/configure" -q && make -s -j"$(nproc)")
fi
bin=$top/_build/demo/turnout
demo=$top/_demo
rm -rf "$demo" && mkdir -p "$demo" && cd "$demo"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >demo.secret
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >token
chmod 600 demo.secret token
port=${TURNOUT_DEMO_PORT:-9000}
cat >turnout.conf <<EOC
[server]
listen = 127.0.0.1:$port
state_dir = state
token_file = token

[app "demo"]
repo = $demo/repo.git
branch = main
secret_file = demo.secret
blue_port = 8081
green_port = 8082
start = ./start.sh
health = http://127.0.0.1:\$TURNOUT_PORT/healthz
nginx_upstream = $demo/upstream.conf
EOC
"$bin" check-config -c turnout.conf
"$bin" serve -c turnout.conf 2>turnout.log &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
i=0
until grep -q "listening on" turnout.log; do
	i=$((i + 1)); [ $i -lt 50 ] || { cat turnout.log; exit 1; }
	kill -0 $pid 2>/dev/null || { cat turnout.log; exit 1; }
	sleep 0.1
done
url=http://127.0.0.1:$port
sha=$(printf 'demo %s' "$(date +%s)" | sha1sum | cut -c1-40)
printf '{"ref":"refs/heads/main","after":"%s","head_commit":{"message":"Demo push","author":{"name":"You"}}}' "$sha" >push.json
sig=$(openssl dgst -sha256 -hmac "$(cat demo.secret)" push.json | sed 's/^.*= //')
cat <<EOT

turnout is running at $url (log: _demo/turnout.log, database: _demo/state/turnout.db)
Sending a signed GitHub push, exactly as GitHub would:

  curl -X POST -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: demo-1' \\
       -H 'Content-Type: application/json' \\
       -H "X-Hub-Signature-256: sha256=\$(openssl dgst -sha256 -hmac "\$(cat _demo/demo.secret)" _demo/push.json | sed 's/^.*= //')" \\
       --data-binary @_demo/push.json $url/hooks/demo

EOT
printf 'answer: '
curl -sS -X POST -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: demo-1' \
	-H 'Content-Type: application/json' -H "X-Hub-Signature-256: sha256=$sig" \
	--data-binary @push.json "$url/hooks/demo"
printf 'the same delivery again: '
curl -sS -X POST -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: demo-1' \
	-H 'Content-Type: application/json' -H "X-Hub-Signature-256: sha256=$sig" \
	--data-binary @push.json "$url/hooks/demo"
printf 'a forged signature: '
curl -sS -X POST -H 'X-GitHub-Event: push' -H "X-Hub-Signature-256: sha256=$(echo "$sig" | tr 0-9a-f 1-9a-f0)" \
	--data-binary @push.json "$url/hooks/demo"
echo
echo "stored deployments (sqlite3 _demo/state/turnout.db):"
sqlite3 -header -column state/turnout.db 'SELECT id, app, status, substr(commit_sha,1,12) AS commit_, sender, author, message FROM deployments'
echo
if [ -t 0 ] && [ -z "${CI:-}" ]; then
	echo "turnout keeps running; send more pushes with the curl above. Ctrl-C stops it."
	wait $pid
fi
