# test-lib-functions.sh: the helpers a test body calls, apart from the
# framework that runs it (test-lib.sh), as git's t/test-lib-functions.sh is
# apart from t/test-lib.sh.  test-lib.sh sources this file; do not source it
# yourself.
#
#	prerequisites	test_set_prereq, test_lazy_prereq, test_have_prereq
#	cleanups	test_when_finished (after this test), test_atexit (at
#			the end of the script)
#	running		test_must_fail, test_might_fail, test_expect_code,
#			test_debug, test_wait_until
#	files		test_cmp, test_grep, test_line_count, test_path_is_file,
#			test_path_is_dir, test_path_exists, test_path_is_missing,
#			test_must_be_empty, test_file_not_empty, write_script
#
# A helper that fails says why on stderr, which goes where the test's output
# goes (the failure report, or the terminal with --verbose).  Private names
# are _tl_*, as in test-lib.sh.

# --- prerequisites ----------------------------------------------------------

_tl_check_prereq_name () {
	case $1 in
	'' | *[!A-Za-z0-9_]*) BUG "bad prerequisite name '$1'" ;;
	esac
}

# test_set_prereq NAME: declare that NAME is available.
test_set_prereq () {
	_tl_check_prereq_name "$1"
	case $_tl_prereqs in
	*" $1 "*) ;;
	*) _tl_prereqs="$_tl_prereqs$1 " ;;
	esac
}

# test_lazy_prereq NAME 'code': NAME is available if code succeeds; the code
# runs the first time NAME is asked for, in a subshell, in a scratch
# directory.
test_lazy_prereq () {
	test $# = 2 || BUG "usage: test_lazy_prereq NAME 'code'"
	_tl_check_prereq_name "$1"
	eval "_tl_lazy_$1=\$2"
}

# True if the single prerequisite $1 is available.
_tl_prereq_ok () {
	case $_tl_prereqs in *" $1 "*) return 0 ;; esac
	case $_tl_prereqs_no in *" $1 "*) return 1 ;; esac
	eval "_tl_lazy_code=\${_tl_lazy_$1-}"
	test -n "$_tl_lazy_code" || return 1
	_tl_lazy_dir=$TRASH_DIRECTORY/.prereq-$1
	mkdir -p "$_tl_lazy_dir" &&
	(cd "$_tl_lazy_dir" && _tl_eval_inner "$_tl_lazy_code") \
		</dev/null >>"$_tl_log" 2>&1 5>&- 7>&-
	_tl_lazy_ret=$?
	rm -rf "$_tl_lazy_dir"
	if test $_tl_lazy_ret = 0; then
		_tl_prereqs="$_tl_prereqs$1 "
	else
		_tl_prereqs_no="$_tl_prereqs_no$1 "
	fi
	return $_tl_lazy_ret
}

# test_have_prereq NAME[,NAME...]: true when every NAME is available; !NAME
# asks for NAME to be missing.  The unmet ones are left in $_tl_missing.
test_have_prereq () {
	_tl_missing=
	_tl_save_ifs=$IFS
	IFS=,
	set -- $1
	IFS=$_tl_save_ifs
	for _tl_p in "$@"; do
		case $_tl_p in
		!*)
			_tl_check_prereq_name "${_tl_p#!}"
			if ! _tl_prereq_ok "${_tl_p#!}"; then
				continue
			fi
			;;
		*)
			_tl_check_prereq_name "$_tl_p"
			if _tl_prereq_ok "$_tl_p"; then
				continue
			fi
			;;
		esac
		_tl_missing=${_tl_missing:+$_tl_missing,}$_tl_p
	done
	test -z "$_tl_missing"
}

# --- cleanups ---------------------------------------------------------------

# test_when_finished and test_atexit record into the parent shell; in a
# subshell they would silently do nothing.  Only bash can tell.
_tl_check_subshell () {
	# shellcheck disable=SC3028 # unset outside bash
	if test -n "${BASH_SUBSHELL-}" && test "$BASH_SUBSHELL" != 0; then
		echo "BUG in test script: $1 does nothing in a subshell" >&2
		exit 1
	fi
}

# test_when_finished CMD...: run CMD after the current test's code, whether
# it passed or not; the last registered runs first.  A failing CMD fails the
# test.
test_when_finished () {
	test "$_tl_in_test" = t || BUG "test_when_finished outside a test"
	_tl_check_subshell test_when_finished
	_tl_wf_n=$((_tl_wf_n + 1))
	eval "_tl_wf_$_tl_wf_n=\$*"
}

# test_atexit CMD...: run CMD when the script ends: at test_done, on an
# unexpected exit, or on SIGINT/SIGTERM/SIGHUP; the last registered runs
# first.  This is how background daemons get stopped.  A failing CMD makes
# the script fail.
test_atexit () {
	_tl_check_subshell test_atexit
	_tl_atexit_n=$((_tl_atexit_n + 1))
	eval "_tl_atexit_$_tl_atexit_n=\$*"
}

# --- running commands -------------------------------------------------------

# test_must_fail CMD ARGS...: CMD must fail in an orderly way: not succeed,
# not be missing (127) or unrunnable (126), not die by a signal (>128).
test_must_fail () {
	"$@"
	_tl_mf=$?
	if test $_tl_mf = 0; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif test $_tl_mf -gt 128; then
		echo "test_must_fail: died by signal $((_tl_mf - 128)): $*" >&2
		return 1
	elif test $_tl_mf = 127; then
		echo "test_must_fail: command not found: $*" >&2
		return 1
	elif test $_tl_mf = 126; then
		echo "test_must_fail: command not executable: $*" >&2
		return 1
	fi
	return 0
}

# test_might_fail CMD ARGS...: like test_must_fail, but success is fine too.
test_might_fail () {
	"$@"
	_tl_mf=$?
	if test $_tl_mf -gt 128 || test $_tl_mf = 127 || test $_tl_mf = 126; then
		echo "test_might_fail: command failed badly ($_tl_mf): $*" >&2
		return 1
	fi
	return 0
}

# test_expect_code N CMD ARGS...: CMD must exit with status N.
test_expect_code () {
	test $# -ge 2 || BUG "usage: test_expect_code N cmd..."
	_tl_want=$1
	shift
	"$@"
	_tl_got=$?
	test "$_tl_got" = "$_tl_want" && return 0
	echo "test_expect_code: command exited with $_tl_got, we wanted $_tl_want: $*" >&2
	return 1
}

# test_debug 'code': run code only with --debug.
test_debug () {
	test "$_tl_debug" = t || return 0
	_tl_eval "$1"
}

# test_wait_until SECONDS CMD ARGS...: run CMD every 0.1 s until it succeeds;
# fail, saying so, if it still has not after about SECONDS (a whole number).
# For waiting on a daemon or a background process: a poll loop of its own in
# a test is easy to get wrong (a loop that times out still exits 0).
test_wait_until () {
	test $# -ge 2 || BUG "usage: test_wait_until SECONDS cmd..."
	case $1 in
	'' | *[!0-9]*) BUG "test_wait_until: not a whole number of seconds: '$1'" ;;
	esac
	_tl_wait_left=$(($1 * 10))
	_tl_wait_s=$1
	shift
	until "$@"; do
		if test "$_tl_wait_left" -le 0; then
			echo "test_wait_until: still not true after $_tl_wait_s s: $*" >&2
			return 1
		fi
		sleep 0.1
		_tl_wait_left=$((_tl_wait_left - 1))
	done
}

# --- files ------------------------------------------------------------------

# test_cmp EXPECTED ACTUAL: the files must be equal; shows a unified diff.
test_cmp () {
	test $# = 2 || BUG "usage: test_cmp expected actual"
	diff -u "$1" "$2"
}

# Show a file on stderr for a failure message.
_tl_show_file () {
	if test -s "$1"; then
		echo "--- contents of '$1':" >&2
		cat "$1" >&2
		echo "--- end of '$1'" >&2
	else
		echo "('$1' is empty)" >&2
	fi
}

# test_grep [!] [GREP-OPTIONS] PATTERN FILE: FILE must (or, with !, must
# not) match; shows FILE when it does not hold.
test_grep () {
	_tl_neg=
	if test "x$1" = 'x!'; then
		_tl_neg=t
		shift
	fi
	test $# -ge 2 || BUG "usage: test_grep [!] [options] pattern file"
	eval "_tl_gfile=\${$#}"
	if ! test -f "$_tl_gfile"; then
		echo "test_grep: no such file: '$_tl_gfile'" >&2
		return 1
	fi
	grep "$@"
	_tl_grc=$?
	if test $_tl_grc -gt 1; then
		echo "test_grep: grep $* failed" >&2
		return 1
	elif test -z "$_tl_neg" && test $_tl_grc = 0; then
		return 0
	elif test -n "$_tl_neg" && test $_tl_grc = 1; then
		return 0
	elif test -z "$_tl_neg"; then
		echo "test_grep: 'grep $*' found no match" >&2
	else
		echo "test_grep: 'grep $*' found a match, expected none" >&2
	fi
	_tl_show_file "$_tl_gfile"
	return 1
}

# test_line_count OP N FILE: the number of lines of FILE compared with N
# (OP: = != -eq -ne -lt -le -gt -ge).
test_line_count () {
	test $# = 3 || BUG "usage: test_line_count op n file"
	case $1 in
	= | ==) _tl_op=-eq ;;
	!=) _tl_op=-ne ;;
	-eq | -ne | -lt | -le | -gt | -ge) _tl_op=$1 ;;
	*) BUG "test_line_count: bad operator '$1'" ;;
	esac
	case $2 in
	'' | *[!0-9]*) BUG "test_line_count: not a number: '$2'" ;;
	esac
	if ! test -f "$3"; then
		echo "test_line_count: no such file: '$3'" >&2
		return 1
	fi
	_tl_lines=$(wc -l <"$3")
	_tl_lines=$(($_tl_lines))
	test "$_tl_lines" "$_tl_op" "$2" && return 0
	echo "test_line_count: '$3' has $_tl_lines line(s), expected $1 $2" >&2
	_tl_show_file "$3"
	return 1
}

test_path_is_file () {
	test -f "$1" && return 0
	echo "test_path_is_file: '$1' is not a file" >&2
	ls -ld "$1" >&2 2>/dev/null
	return 1
}

test_path_is_dir () {
	test -d "$1" && return 0
	echo "test_path_is_dir: '$1' is not a directory" >&2
	ls -ld "$1" >&2 2>/dev/null
	return 1
}

test_path_exists () {
	test -e "$1" && return 0
	echo "test_path_exists: '$1' does not exist" >&2
	return 1
}

test_path_is_missing () {
	test $# = 1 || BUG "usage: test_path_is_missing path"
	if ! test -e "$1" && ! test -L "$1"; then
		return 0
	fi
	echo "test_path_is_missing: '$1' exists" >&2
	ls -ld "$1" >&2
	test -f "$1" && _tl_show_file "$1"
	return 1
}

# test_must_be_empty FILE: FILE exists and is empty.
test_must_be_empty () {
	if ! test -f "$1"; then
		echo "test_must_be_empty: '$1' is not a file" >&2
		return 1
	fi
	test -s "$1" || return 0
	echo "test_must_be_empty: '$1' is not empty" >&2
	_tl_show_file "$1"
	return 1
}

# test_file_not_empty FILE: FILE exists and has something in it.
test_file_not_empty () {
	test -s "$1" && return 0
	echo "test_file_not_empty: '$1' is missing or empty" >&2
	return 1
}

# write_script FILE [INTERPRETER] <<-\EOF: an executable script from stdin;
# the interpreter defaults to /bin/sh.
write_script () {
	{
		printf '#!%s\n' "${2-/bin/sh}" &&
		cat
	} >"$1" &&
	chmod +x "$1"
}
