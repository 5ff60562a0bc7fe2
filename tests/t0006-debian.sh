#!/bin/sh
# The Debian package: dpkg-buildpackage builds it from a copy of the
# source, lintian finds no error, it installs on this machine (binary, man
# pages, unit, example conffile, the turnout user), the installed turnout
# runs `version` and `check-config` on what `turnout init` writes, and
# dpkg -r / -P take it all away again.

test_description='Debian package: build, lintian, install, remove'
. "$(dirname "$0")/test-lib.sh"

if ! command -v dpkg-buildpackage >/dev/null || ! command -v lintian >/dev/null ||
	! command -v dh >/dev/null
then
	skip_all='dpkg-dev, debhelper or lintian is missing (contrib/deps.sh installs them)'
	test_done
fi
if test "$(id -u)" != 0
then
	skip_all='installing a package takes root'
	test_done
fi
if dpkg-query -W -f='${Status}' turnout 2>/dev/null | grep -q "installed"
then
	skip_all='a turnout package is installed on this machine already: not touching it'
	test_done
fi

purge () {
	dpkg -P turnout >/dev/null 2>&1 || :
}

test_expect_success 'dpkg-buildpackage builds the package from a copy of the source' '
	mkdir src &&
	(cd "$TURNOUT_SRC_DIR" && tar --exclude=./_build --exclude=./.git \
		--exclude=./autom4te.cache -cf - .) | tar -xf - -C src &&
	(cd src && dpkg-buildpackage -us -uc -b) >build.log 2>&1 &&
	ls turnout_*_*.deb >debs &&
	test_line_count = 1 debs
'

test_expect_success 'lintian finds no error' '
	lintian --fail-on error "$(cat debs)" >lintian.out 2>&1 &&
	! grep "^E:" lintian.out
'

test_expect_success 'what the package holds' '
	dpkg -c "$(cat debs)" | awk "{ print \$6 }" >files &&
	for f in ./usr/bin/turnout ./usr/libexec/turnout/turnout-net \
		./usr/share/man/man1/turnout.1.gz \
		./usr/share/man/man5/turnout.conf.5.gz ./lib/systemd/system/turnout.service \
		./etc/turnout/turnout.conf.example
	do
		grep -x -F "$f" files >/dev/null || { echo "missing: $f" >&2; return 1; }
	done &&
	dpkg-deb -f "$(cat debs)" Depends >depends &&
	test_grep "adduser" depends &&
	dpkg-deb -e "$(cat debs)" control &&
	test_grep "^/etc/turnout/turnout.conf.example$" control/conffiles
'

test_expect_success 'it installs; the installed turnout runs' '
	test_atexit purge &&
	dpkg -i "$(cat debs)" >install.log 2>&1 &&
	/usr/bin/turnout version >out &&
	test_grep "^turnout " out &&
	getent passwd turnout >user &&
	test_grep "/usr/sbin/nologin" user &&
	/usr/bin/turnout init shop --dir "$PWD/etc" --state-dir "$PWD/state" >/dev/null &&
	test_grep "^user = turnout" etc/turnout.conf &&
	/usr/bin/turnout check-config -c etc/turnout.conf >out 2>&1 &&
	test_grep "ok, 1 app" out &&
	! grep -q "warning" out &&
	man -w turnout.conf >/dev/null
'

test_expect_success 'dpkg -r removes it, dpkg -P the conffile and the user too' '
	dpkg -r turnout >remove.log 2>&1 &&
	test_path_is_missing /usr/bin/turnout &&
	test_path_is_missing /lib/systemd/system/turnout.service &&
	test_path_is_file /etc/turnout/turnout.conf.example &&
	dpkg -P turnout >purge.log 2>&1 &&
	test_path_is_missing /etc/turnout/turnout.conf.example &&
	! getent passwd turnout &&
	! dpkg-query -W turnout 2>/dev/null
'

test_done
