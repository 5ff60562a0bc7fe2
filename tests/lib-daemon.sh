# Starts `turnout serve` on a free loopback port with a state dir in the
# trash directory, and stops it when the test script exits.
#
#   write_config [EXTRA]   writes turnout.conf: app "demo" (branch main,
#                          secret file demo.secret), EXTRA appended verbatim
#   start_turnout          starts the daemon; sets TURNOUT_URL, TURNOUT_PID
#   stop_turnout           SIGTERM and wait
#   db SQL                 runs SQL on the daemon's database (sqlite3 CLI)

DEMO_SECRET='It'"'"'s a Secret to Everybody'
DEMO_SECRET2='the-next-secret'

write_config () {
	printf '%s\n' "$DEMO_SECRET" >demo.secret &&
	chmod 600 demo.secret &&
	printf 'test-token\n' >token &&
	chmod 600 token &&
	cat >turnout.conf <<-EOC &&
	[server]
	listen = 127.0.0.1:0
	state_dir = state
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

db () {
	sqlite3 -batch state/turnout.db "$@"
}
