#!/bin/sh
# The man pages: lint-clean, rendered by man -l, installed by make install,
# and in step with the program: turnout(1) has every command of `turnout
# help` with the same synopsis and words as `turnout CMD --help`, and
# turnout.conf(5) every key of the key table (`turnout config-keys`) in
# its section with its default, and no key that is not there.

test_description='man pages: lint, render, install, no drift'
. "$(dirname "$0")/test-lib.sh"

MAN1=$TURNOUT_SRC_DIR/man/turnout.1
MAN5=$TURNOUT_SRC_DIR/man/turnout.conf.5

if ! command -v mandoc >/dev/null || ! command -v man >/dev/null
then
	skip_all='mandoc or man is missing (contrib/deps.sh installs them)'
	test_done
fi

# entries PAGE: "TAG<TAB>FIRST BODY LINE<TAB>SECTION" for each .TP entry, escapes undone.
entries () {
	sed 's/\\-/-/g; s/\\(dq/"/g' "$1" | awk '
		/^\.SH / { sec = substr($0, 5); gsub(/"/, "", sec); next }
		/^\.TP/ { want = 1; next }
		want == 1 && /^\.B / { tag = substr($0, 4); want = 2; next }
		want == 2 { printf "%s\t%s\t%s\n", tag, $0, sec; want = 0 }'
}

test_expect_success 'mandoc -Tlint and groff -ww find nothing' '
	mandoc -Tlint -Wwarning "$MAN1" "$MAN5" >lint 2>&1 &&
	test_must_be_empty lint &&
	groff -ww -man -Tutf8 "$MAN1" >/dev/null 2>warn &&
	groff -ww -man -Tutf8 "$MAN5" >/dev/null 2>>warn &&
	test_must_be_empty warn
'

test_expect_success 'man -l renders both pages' '
	man -l "$MAN1" 2>err | col -b >one &&
	test_must_be_empty err &&
	test_grep "^NAME" one &&
	test_grep "turnout - zero-downtime blue/green deployments" one &&
	man -l "$MAN5" 2>err | col -b >five &&
	test_must_be_empty err &&
	test_grep "turnout.conf - the configuration of turnout" five
'

test_expect_success 'turnout(1) has every command of turnout help, and only those' '
	turnout help | sed -n "s/^  turnout //p" >help &&
	test_line_count -gt 5 help &&
	entries "$MAN1" | awk -F "\t" "\$3 == \"COMMANDS\"" >man-cmds &&
	test "$(wc -l <man-cmds)" = "$(wc -l <help)" &&
	while read -r line
	do
		# "NAME ARGS  HELP": the synopsis, two spaces or more, the words.
		syn=$(printf "%s\n" "$line" | awk -F "  +" "{ print \$1 }") &&
		words=$(printf "%s\n" "$line" | awk -F "  +" "{ print \$2 }") &&
		grep -F -x "turnout $syn	$words.	COMMANDS" man-cmds >/dev/null || {
			echo "turnout(1) does not have: turnout $syn / $words." >&2
			return 1
		}
	done <help
'

test_expect_success 'turnout CMD --help says what turnout(1) says' '
	while IFS="	" read -r tag body _
	do
		cmd=$(echo "$tag" | cut -d" " -f2) &&
		turnout "$cmd" --help >out &&
		test "$(sed -n 1p out)" = "usage: $tag" &&
		test "$(sed -n 3p out)." = "$body" || {
			echo "turnout $cmd --help differs from turnout(1)" >&2
			cat out >&2
			return 1
		}
	done <man-cmds
'

test_expect_success 'turnout.conf(5) has every key in its section, with its default' '
	turnout config-keys >keys &&
	test_line_count -gt 40 keys &&
	entries "$MAN5" >man-keys &&
	while read -r section key def
	do
		case $section in
		server) sec="[server]" ;;
		app) sec="[app NAME]" ;;
		esac &&
		awk -F "\t" -v k="$key" -v s="$sec" "\$1 == k && \$3 == s" man-keys >entry &&
		test_line_count = 1 entry || {
			echo "turnout.conf(5) has no $key in $sec" >&2
			return 1
		}
		if test "$def" = "-"
		then
			! sed -n "/^\.B $key\$/,/^\.TP/p" "$MAN5" | grep "^Default:" || return 1
		else
			sed -n "/^\.B $key\$/,/^\.TP/p" "$MAN5" | sed "s/\\\\-/-/g" >para &&
			grep -F -x "Default: $def." para >/dev/null || {
				echo "turnout.conf(5): $key does not say Default: $def." >&2
				return 1
			}
		fi
	done <keys &&
	# and nothing else: as many entries as keys
	test "$(wc -l <man-keys)" = "$(wc -l <keys)"
'

test_expect_success 'the check fails on a page that drifted' '
	sed "/^\.B body_timeout\$/,/^Default: 60\.\$/d" "$MAN5" >drifted.5 &&
	entries drifted.5 >drifted &&
	! grep "^body_timeout	" drifted &&
	test "$(wc -l <drifted)" != "$(turnout config-keys | wc -l)"
'

test_expect_success 'make install puts both pages under mandir' '
	make -s -C "$TURNOUT_BUILD_DIR" install-man DESTDIR="$PWD/inst" >/dev/null &&
	find inst -name turnout.1 >found &&
	find inst -name turnout.conf.5 >>found &&
	test_line_count = 2 found &&
	grep -q "/man1/turnout.1$" found &&
	grep -q "/man5/turnout.conf.5$" found
'

test_done
