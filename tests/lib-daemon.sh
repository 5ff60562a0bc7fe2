# Starts `turnout serve` on a free loopback port with a state dir in the
# trash directory, and stops it when the test script exits.
#
#   write_config [EXTRA]   writes turnout.conf: app "demo" (branch main,
#                          secret file demo.secret), EXTRA appended verbatim
#   start_turnout          starts the daemon; sets TURNOUT_URL, TURNOUT_PID
#   stop_turnout           SIGTERM and wait
#
# Reading what the daemon knows: through its API (SPEC §7), as an operator
# would; the database itself only for what no answer shows (deliveries, the
# drains, bad release reasons, PRAGMAs) or while the daemon is down.
#
#   api METHOD PATH [JSON] calls the API with the token; the status goes to
#                          ./status, the body to ./out
#   api_get PATH [FILTER]  GET PATH, which must answer 200; prints the body,
#                          or what `jq -r FILTER` makes of it (./out and
#                          ./status are left alone)
#   deployment ID FILTER   jq FILTER of GET /api/deployments/ID (.status,
#                          .error, .steps[], ...)
#   deployment_steps ID    its steps, "NAME STATUS" a line, in order
#   deployment_step ID NAME [FILTER]  jq FILTER (default .status) of its step
#                          NAME; nothing when it has no such step
#   deployment_log ID [FILTER]  its log, all of it: a line per log line,
#                          .line by default ("\(.stream) \(.line)" shows
#                          the stream too)
#   app_get FILTER         jq FILTER of app demo in GET /api/apps
#                          (.active_color, .live_commit, .colors.blue.commit)
#   db SQL                 runs SQL on the daemon's database (sqlite3 CLI)

if ! command -v jq >/dev/null
then
	skip_all='jq is not installed (contrib/deps.sh installs it)'
	test_done
fi

DEMO_SECRET='It'"'"'s a Secret to Everybody'
DEMO_SECRET2='the-next-secret'

write_config () {
	printf '%s\n' "$DEMO_SECRET" >demo.secret &&
	chmod 600 demo.secret &&
	printf '%s\n' "${TEST_TOKEN:-test-token}" >token &&
	chmod 600 token &&
	cat >turnout.conf <<-EOC &&
	[server]
	listen = 127.0.0.1:0
	state_dir = ${STATE_DIR:-state}
	token_file = token
	log_level = debug
	${SERVER_EXTRA:-}

	[app "demo"]
	repo = $PWD/repo.git
	branch = main
	secret_file = demo.secret
	blue_port = 18081
	green_port = 18082
	start = ./start.sh
	health = http://127.0.0.1:\$TURNOUT_PORT/healthz
	nginx_upstream = upstream.conf
	EOC
	if test $# -gt 0
	then
		printf '%s\n' "$@" >>turnout.conf
	fi
}

stop_turnout () {
	if test -n "${TURNOUT_PID:-}"
	then
		kill -TERM "$TURNOUT_PID" 2>/dev/null
		# Give it 10 s to finish cleanly, then make sure it is gone.
		i=0
		# (an exited child stays a zombie until `wait`: that counts as gone)
		while test $i -lt 100 && kill -0 "$TURNOUT_PID" 2>/dev/null &&
			! grep -q "^State:.*Z" "/proc/$TURNOUT_PID/status" 2>/dev/null
		do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$TURNOUT_PID" 2>/dev/null
		wait "$TURNOUT_PID" 2>/dev/null
		rc=$?
		TURNOUT_PID=
		# A clean stop exits 0; anything else (a sanitizer's report, a
		# crash, a hang) fails the test that stopped it.
		if test $rc != 0
		then
			echo "turnout exited with $rc on SIGTERM:" >&2
			tail -n 40 turnout.log >&2
			return 1
		fi
	fi
	return 0
}

start_turnout () {
	: >turnout.log || return 1
	turnout serve -c turnout.conf >>turnout.log 2>&1 &
	TURNOUT_PID=$!
	test_atexit stop_turnout
	i=0
	while test $i -lt 100
	do
		port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' turnout.log)
		if test -n "$port"
		then
			TURNOUT_URL="http://127.0.0.1:$port"
			export TURNOUT_URL
			return 0
		fi
		if ! kill -0 "$TURNOUT_PID" 2>/dev/null
		then
			echo "turnout exited early:" >&2
			cat turnout.log >&2
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "turnout did not start listening within 10 s" >&2
	cat turnout.log >&2
	return 1
}

# The pid of serve's network process, from the kernel's list of its children.
net_pid () {
	for p in $(cat /proc/"$TURNOUT_PID"/task/*/children 2>/dev/null)
	do
		if tr "\0" " " <"/proc/$p/cmdline" 2>/dev/null | grep -q "serve-network"
		then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# is_gone PID: no such process, or only its zombie.
is_gone () {
	! kill -0 "$1" 2>/dev/null || grep -q "^State:.*Z" "/proc/$1/status" 2>/dev/null
}

db () {
	sqlite3 -batch "${STATE_DIR:-state}/turnout.db" "$@"
}

api () {
	curl -sS -o out -w '%{http_code}' -X "$1" -H "Authorization: Bearer ${TEST_TOKEN:-test-token}" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} \
		"$TURNOUT_URL$2" >status
}

api_get () {
	_api_code=$(curl -sS -o api-get.out -w '%{http_code}' \
		-H "Authorization: Bearer ${TEST_TOKEN:-test-token}" "$TURNOUT_URL$1") || return 1
	if test "$_api_code" != 200
	then
		echo "GET $1 answered $_api_code:" >&2
		cat api-get.out >&2
		return 1
	fi
	if test $# -gt 1
	then
		jq -r "$2" api-get.out
	else
		cat api-get.out
	fi
}

deployment () {
	api_get "/api/deployments/$1" "$2"
}

deployment_steps () {
	deployment "$1" '.steps[] | "\(.name) \(.status)"'
}

deployment_step () {
	deployment "$1" ".steps[] | select(.name == \"$2\") | ${3:-.status}"
}

# The log comes in pages (offset=): read until a page brings nothing new.
deployment_log () {
	_log_off=0
	while :
	do
		api_get "/api/deployments/$1/log?offset=$_log_off" >api-log.json &&
		jq -r ".lines[] | ${2:-.line}" api-log.json &&
		_log_next=$(jq -r .next_offset api-log.json) || return 1
		test "$_log_next" = "$_log_off" && return 0
		_log_off=$_log_next
	done
}

app_get () {
	api_get /api/apps ".apps[] | select(.name == \"demo\") | $1"
}
