#!/bin/sh
# deploy_user: the app's commands (build, start, stop), which run the
# repo's code, run as that user; git, the proxy's commands and the
# database stay the daemon's.

test_description='commands as deploy_user'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-daemon.sh"
. "$TEST_DIRECTORY/lib-hook.sh"
. "$TEST_DIRECTORY/lib-pipeline.sh"

if test "$(id -u)" != 0 || ! id nobody >/dev/null 2>&1 || ! command -v setpriv >/dev/null
then
	test_skip_all 'needs root (to become another user), the user nobody and setpriv'
fi

NOBODY_HOME=$(getent passwd nobody | cut -d: -f6)

# Runs a command as nobody, with no groups.
as_nobody () {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# The release dir of deployment $1 (commit $2).
release_of () {
	echo "$STATE_DIR/releases/demo/$1-$(echo "$2" | cut -c1-12)"
}

test_expect_success 'set up: the app and the state dir where nobody can reach them' '
	# The trash dir may sit below a directory only root may enter.
	W=$(mktemp -d /tmp/turnout-deploy-user.XXXXXX) &&
	test_atexit "rm -rf \"$W\"" &&
	chmod 0755 "$W" &&
	cp "$DEMO_APP" "$W/demo-app" &&
	DEMO_APP=$W/demo-app && export DEMO_APP &&
	mkdir "$W/run" && chmod 1777 "$W/run" &&
	APP_DIR=$W && STATE_DIR=$W/state &&
	SERVER_EXTRA="deploy_user = nobody" setup_stack &&
	test "$(stat -c %a "$W/state")" = 711 &&
	test "$(stat -c %a "$W/state/releases")" = 711 &&
	test "$(stat -c %a "$W/state/releases/demo")" = 711
'

test_expect_success 'build and start run as nobody, with its HOME, USER and LOGNAME' '
	commit_push build.sh "id -u >who; id -g >>who; echo \"\$HOME \$USER \$LOGNAME\" >>who" \
		"who builds" &&
	wait_status $DEPLOYMENT succeeded &&
	rel=$(release_of $DEPLOYMENT $COMMIT) &&
	printf "65534\n65534\n%s nobody nobody\n" "$NOBODY_HOME" >expect &&
	test_cmp expect "$rel/who" &&
	# The checkout is the user'"'"'s: the build can write in it.
	test "$(stat -c %U "$rel" "$rel/build.sh" "$rel/who" | sort -u)" = nobody &&
	color=$(active_color) &&
	app=$(cat "$RUN/app-$color.pid") &&
	test "$(awk "/^Uid:/ { print \$2, \$3, \$4, \$5 }" "/proc/$app/status")" = "65534 65534 65534 65534" &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "sh ./build.sh   (TURNOUT_COLOR=$color, as nobody)" log &&
	test_grep "app.sh start   (TURNOUT_COLOR=$color, as nobody)" log
'

test_expect_success 'the proxy commands (nginx_test, nginx_reload) run as the daemon' '
	sed -i "2i id -u >>\"$PWD/proxy.who\"" nginx.sh &&
	commit_push README "again" "again" &&
	wait_status $DEPLOYMENT succeeded &&
	test -s proxy.who &&
	test "$(sort -u proxy.who)" = 0 &&
	proxy_says | grep "commit $(echo $COMMIT | cut -c1-12)"
'

test_expect_success 'a build cannot read the database, list the state dir or write outside its release' '
	commit_push build.sh "! cat \"$STATE_DIR/turnout.db\" >/dev/null 2>&1 || exit 7
! ls \"$STATE_DIR\" >/dev/null 2>&1 || exit 8
! touch \"$STATE_DIR/planted\" 2>/dev/null || exit 9
! touch \"$STATE_DIR/releases/demo/planted\" 2>/dev/null || exit 10
echo confined" "confined" &&
	wait_status $DEPLOYMENT succeeded &&
	deployment_log $DEPLOYMENT >log &&
	test_grep "confined" log &&
	test_path_is_missing "$STATE_DIR/planted" &&
	test_path_is_missing "$STATE_DIR/releases/demo/planted" &&
	test "$(stat -c "%U %a" "$STATE_DIR/turnout.db")" = "root 600"
'

test_expect_success 'a failing build as nobody fails the deployment, and nothing switches' '
	live=$(active_color) &&
	commit_push build.sh "echo cannot >&2; exit 3" "fails as nobody" &&
	wait_status $DEPLOYMENT failed &&
	test "$(active_color)" = "$live"
'

test_expect_success 'check-config: a deploy_user that does not exist is an error' '
	sed "s/^deploy_user = nobody$/deploy_user = no-such-user-here/" turnout.conf >bad.conf &&
	test_expect_code 2 turnout check-config -c bad.conf >out 2>err &&
	test_grep "deploy_user.: no such user .no-such-user-here." err
'

test_expect_success 'serve refuses a deploy_user it cannot become' '
	# As nobody, turnout cannot become root: it says so and exits.
	cp "$(command -v turnout)" "$W/turnout" &&
	cat >"$W/other.conf" <<-EOF &&
	[server]
	listen = 127.0.0.1:0
	state_dir = $W/other-state
	deploy_user = root
	EOF
	chmod 0644 "$W/other.conf" &&
	test_expect_code 1 as_nobody "$W/turnout" serve -c "$W/other.conf" >out 2>err &&
	test_grep "deploy_user .root. needs turnout started as root" err &&
	test_path_is_missing "$W/other-state"
'

test_done
