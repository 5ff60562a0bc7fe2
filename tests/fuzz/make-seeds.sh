#!/bin/sh
# Writes the fuzz targets' seed corpora under tests/fuzz/corpus/ from
# tests/data/ and a few requests and configs of each kind. Run it from the
# top of the source tree when the data changes; its output is committed.
set -eu
data=tests/data
out=tests/fuzz/corpus
rm -rf "$out"
mkdir -p "$out/payload" "$out/form" "$out/hook" "$out/sig" "$out/conf" "$out/channel"

# payload: one byte for the forge (0 github, 1 gitlab, 2 gitea, 3 bitbucket), then the body.
for f in "$data"/*.json; do
	name=$(basename "$f" .json)
	case $name in
	github-*) k='\000' ;; gitlab-*) k='\001' ;; gitea-*) k='\002' ;; *) k='\003' ;;
	esac
	{ printf "$k"; cat "$f"; } >"$out/payload/$name"
done

# form: GitHub's form content type.
printf 'payload=%s' "$(jq -sRr @uri <"$data/github-push.json")" >"$out/form/github-form"
printf 'a=1&payload=%%7B%%22ref%%22%%3A1%%7D&b=' >"$out/form/short"

# hook: headers, an empty line, the body; "@sign" is replaced by the right proof.
hook () {
	name=$1 body=$2
	shift 2
	{ for h in "$@"; do printf '%s\n' "$h"; done; printf '\n'; cat "$body"; } >"$out/hook/$name"
}
hook github-push "$data/github-push.json" "X-GitHub-Event: push" "X-GitHub-Delivery: 1-2-3" \
	"X-Hub-Signature-256: @sign" "Content-Type: application/json"
hook github-ping "$data/github-ping.json" "X-GitHub-Event: ping" "X-Hub-Signature-256: @sign"
hook github-bad-sig "$data/github-push.json" "X-GitHub-Event: push" \
	"X-Hub-Signature-256: sha256=00"
hook gitea-push "$data/gitea-push.json" "X-Gitea-Event: push" "X-Gitea-Delivery: d1" \
	"X-Gitea-Signature: @sign"
hook forgejo-push "$data/gitea-push.json" "X-Forgejo-Event: push" "X-Forgejo-Signature: @sign"
hook gitlab-push "$data/gitlab-push.json" "X-Gitlab-Event: Push Hook" "X-Gitlab-Token: @sign" \
	"X-Gitlab-Event-UUID: u1"
hook gitlab-tag "$data/gitlab-tag.json" "X-Gitlab-Event: Tag Push Hook" "X-Gitlab-Token: @sign"
hook gitlab-standard "$data/gitlab-push.json" "X-Gitlab-Event: Push Hook" "webhook-id: msg_1" \
	"webhook-timestamp: 1700000000" "webhook-signature: v1,AAAA"
hook bitbucket-push "$data/bitbucket-push.json" "X-Event-Key: repo:push" \
	"X-Request-UUID: r1" "X-Hub-Signature: @sign"
printf 'payload=%s' "$(jq -sRr @uri <"$data/github-push.json")" >form.tmp
hook github-form form.tmp "X-GitHub-Event: push" "X-Hub-Signature-256: @sign" \
	"Content-Type: application/x-www-form-urlencoded"
rm -f form.tmp

# sig: a header line, an id line, a timestamp line... then the body.
printf 'sha256=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\n\nbody' \
	>"$out/sig/hex"
printf 'msg_1\n1700000000\nv1,dGVzdA== v1,AAAA\n{"a":1}' >"$out/sig/standard"

# conf: one config per kind of switch.
head='[server]
listen = 127.0.0.1:9000
state_dir = state
token_file = token
'
app='[app "demo"]
repo = https://example.com/demo.git
secret_file = secret
start = ./start
health = http://127.0.0.1:$TURNOUT_PORT/healthz
'
printf '%s%sblue_port = 8081\ngreen_port = 8082\nnginx_upstream = up.conf\nnginx_keepalive = 16\n' \
	"$head" "$app" >"$out/conf/nginx"
printf '%s%sswitch = socket\nblue_socket = b.sock\ngreen_socket = g.sock\nsocket_link = l.sock\n' \
	"$head" "$app" >"$out/conf/socket"
printf '%s%sswitch = haproxy\nblue_port = 1\ngreen_port = 2\nhaproxy_socket = h.sock\nhaproxy_backend = b\n' \
	"$head" "$app" >"$out/conf/haproxy"
printf '%s%sswitch = command\nblue_port = 1\ngreen_port = 2\nswitch_command = ./sw\n  --more\nkeep_old = no\ndrain_timeout = 0\n' \
	"$head" "$app" >"$out/conf/command"
printf '[server]\nmax_body = 1m\nlog_level = debug\npublic_status = yes\n[app "x"]\nsecret = inline\n[bogus]\nkey\n' \
	>"$out/conf/errors"

# channel: the network process's messages to the worker side, good and bad.
printf 'R' >"$out/channel/ready"
printf 'Qdemo' >"$out/channel/queued-demo"
printf 'Qbaro' >"$out/channel/queued-baro"
printf 'Qnope' >"$out/channel/unknown-app"
printf 'Qde\000mo' >"$out/channel/nul-in-name"
printf 'X' >"$out/channel/unknown-kind"
printf 'Q%0200d' 0 >"$out/channel/too-long"
