#!/bin/sh
# contrib/systemd/turnout.service: systemd-analyze verify finds nothing in
# it (with the binary it names pointed at this build, and the man pages
# of its Documentation= installed where man finds them).

test_description='systemd unit: systemd-analyze verify'
. "$(dirname "$0")/test-lib.sh"

UNIT=$TURNOUT_SRC_DIR/contrib/systemd/turnout.service

if ! command -v systemd-analyze >/dev/null || ! command -v man >/dev/null
then
	skip_all='systemd-analyze or man is missing'
	test_done
fi

test_expect_success 'set up: the unit on this build, the man pages installed' '
	make -s -C "$TURNOUT_BUILD_DIR" install-man DESTDIR="$PWD/inst" >/dev/null &&
	MANPATH=$(dirname "$(dirname "$(find "$PWD/inst" -name turnout.1)")") &&
	export MANPATH &&
	test_path_is_file "$MANPATH/man5/turnout.conf.5" &&
	sed "s|/usr/bin/turnout|$TURNOUT_BUILD_DIR/turnout|g" "$UNIT" >turnout.service &&
	test_grep "^ExecStart=$TURNOUT_BUILD_DIR/turnout serve" turnout.service
'

test_expect_success 'systemd-analyze verify finds nothing' '
	systemd-analyze verify "$PWD/turnout.service" >out 2>&1 &&
	test_must_be_empty out
'

test_expect_success 'it is a notify service that checks the config first' '
	test_grep "^Type=notify$" turnout.service &&
	test_grep "^ExecStartPre=.*turnout check-config -c /etc/turnout/turnout.conf$" turnout.service &&
	test_grep "^LimitNOFILE=" turnout.service &&
	test_grep "^ExecReload=/bin/kill -HUP \\\$MAINPID$" turnout.service
'

test_expect_success 'the check sees a broken unit' '
	sed "s/^Type=notify/Type=notfy/" turnout.service >broken.service &&
	test_might_fail systemd-analyze verify "$PWD/broken.service" >out 2>&1 &&
	test_grep "Failed to parse service type" out
'

test_done
