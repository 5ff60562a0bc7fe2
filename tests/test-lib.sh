# test-lib.sh: a small git-style test library for turnout's shell tests:
# the framework that runs tests, reports them and cleans up.  The helpers a
# test body calls (test_must_fail, test_cmp, test_grep, test_when_finished,
# prerequisites, ...) are in test-lib-functions.sh, which this file sources,
# as git's t/test-lib.sh sources t/test-lib-functions.sh.
#
# A test script looks like this:
#
#	#!/bin/sh
#	. "$(dirname "$0")/test-lib.sh"
#
#	test_expect_success 'version prints the package version' '
#		turnout version >out &&
#		test_grep "^turnout [0-9]" out
#	'
#
#	test_done
#
# Output is TAP, for automake's tap-driver.sh.  The plan ("1..N") is printed
# at the end by test_done.  Each script runs in its own, fresh trash
# directory, $TURNOUT_BUILD_DIR/tests/trash.<script name>, which is also
# $HOME; it is removed when every test passed and kept otherwise.
#
# Test code is evaluated in the current shell (not a subshell), inside a
# function, so it can set variables for later tests, call
# test_when_finished, and use "return 1" to fail from a loop.  "set -e" is
# not used: chain the commands of a test with "&&" (a chain lint, as git's,
# refuses a test whose chain is broken).  Change directory inside a subshell
# "( cd sub && ... )"; the directory a test started in is restored after it
# anyway.
#
# The framework's own functions: test_expect_success, test_expect_failure,
# test_done, test_skip_all (or skip_all=REASON before test_done), say, BUG.
#
# Options (after the script name), or the environment variable in brackets:
#	-v, --verbose	[TEST_VERBOSE=1] show the output of the test code, on
#			stderr (never stdout, where it could be taken for TAP)
#	-d, --debug	keep the trash directory, run test_debug commands
#			[TEST_KEEP=1 keeps the trash directory only]
#	-i, --immediate	[TEST_IMMEDIATE=1] stop at the first failing test and
#			leave its test_when_finished cleanups undone
#	-x, --trace	[TEST_TRACE=1] "set -x" while test code runs; the trace
#			goes where the test's output goes
#
# Other environment:
#	TURNOUT_BUILD_DIR	where the "turnout" binary is; put first in PATH
#	TURNOUT_SRC_DIR		the source tree
#			(both default to the tree this file lives in)
#	TEST_OUTPUT_DIRECTORY	where trash directories go
#			(default $TURNOUT_BUILD_DIR/tests)
#	TEST_SHELL_PATH		the shell to run helper scripts with
#			(default: the shell running this script)
#	TEST_CHAIN_LINT=0	turns the &&-chain lint off
#
# Set by the library: TEST_DIRECTORY (this directory, absolute), TEST_NAME
# (script name without .sh), TRASH_DIRECTORY, HOME (= TRASH_DIRECTORY),
# LC_ALL=C, TZ=UTC.
#
# File descriptors 5 and 7 hold the TAP stream and the original stderr; they
# are closed while test code runs, so a daemon started by a test never holds
# the TAP driver's pipe open.
#
# Everything private is named _tl_*; do not use that prefix in tests.

unset CDPATH

# --- where are we -----------------------------------------------------------

# The directory of this file.  Scripts source it as
# "$(dirname "$0")/test-lib.sh", so $0's directory is the usual answer; bash
# knows the sourced file itself.  A script elsewhere (t0000's helper scripts)
# finds it through an exported TEST_DIRECTORY.
_tl_libdir=
# shellcheck disable=SC2128,SC3028 # bash only, and [0] is the one we want
if test -n "${BASH_VERSION-}" && test -f "${BASH_SOURCE-}"; then
	_tl_libdir=$(dirname "$BASH_SOURCE")
elif test -f "$(dirname "$0")/test-lib.sh"; then
	_tl_libdir=$(dirname "$0")
elif test -n "${TEST_DIRECTORY-}" && test -f "$TEST_DIRECTORY/test-lib.sh"; then
	_tl_libdir=$TEST_DIRECTORY
elif test -n "${TURNOUT_SRC_DIR-}" && test -f "$TURNOUT_SRC_DIR/tests/test-lib.sh"; then
	_tl_libdir=$TURNOUT_SRC_DIR/tests
fi
if test -z "$_tl_libdir" ||
   ! TEST_DIRECTORY=$(cd "$_tl_libdir" && pwd); then
	echo "Bail out! cannot find the directory of test-lib.sh (set TEST_DIRECTORY)"
	exit 1
fi

TEST_NAME=$(basename "$0" .sh)
if test -z "$TEST_NAME"; then
	echo "Bail out! cannot derive a test name from '$0'"
	exit 1
fi

: "${TURNOUT_SRC_DIR:=$TEST_DIRECTORY/..}"
: "${TURNOUT_BUILD_DIR:=$TURNOUT_SRC_DIR}"
if ! TURNOUT_SRC_DIR=$(cd "$TURNOUT_SRC_DIR" && pwd) ||
   ! TURNOUT_BUILD_DIR=$(cd "$TURNOUT_BUILD_DIR" && pwd); then
	echo "Bail out! TURNOUT_SRC_DIR or TURNOUT_BUILD_DIR is not a directory"
	exit 1
fi
: "${TEST_OUTPUT_DIRECTORY:=$TURNOUT_BUILD_DIR/tests}"

# The shell to run helper scripts with: the one running us, when we can tell.
if test -z "${TEST_SHELL_PATH-}"; then
	if test -n "${BASH_VERSION-}" && test -n "${BASH-}"; then
		TEST_SHELL_PATH=$BASH
	elif _tl_exe=$(readlink /proc/$$/exe 2>/dev/null) &&
	     case ${_tl_exe##*/} in
	     sh | dash | bash | ksh | ksh93 | mksh | yash | posh | zsh) true ;;
	     *) false ;;
	     esac; then
		TEST_SHELL_PATH=$_tl_exe
	else
		TEST_SHELL_PATH=/bin/sh
	fi
fi

# --- options ----------------------------------------------------------------

_tl_isset () {
	case ${1-} in
	'' | 0 | no | false) return 1 ;;
	*) return 0 ;;
	esac
}

_tl_verbose='' _tl_debug='' _tl_keep='' _tl_immediate='' _tl_trace=''
_tl_isset "${TEST_VERBOSE-}" && _tl_verbose=t
_tl_isset "${TEST_KEEP-}" && _tl_keep=t
_tl_isset "${TEST_IMMEDIATE-}" && _tl_immediate=t
_tl_isset "${TEST_TRACE-}" && _tl_trace=t
for _tl_opt in "$@"; do
	case $_tl_opt in
	-v | --verbose) _tl_verbose=t ;;
	-d | --debug) _tl_debug=t _tl_keep=t ;;
	-i | --immediate) _tl_immediate=t ;;
	-x | --trace) _tl_trace=t ;;
	-h | --help)
		echo "usage: $0 [-v|--verbose] [-d|--debug] [-i|--immediate] [-x|--trace]"
		exit 0
		;;
	*)
		echo "Bail out! unknown option '$_tl_opt' (try --help)"
		exit 1
		;;
	esac
done
if test "$_tl_trace" = t; then
	_tl_xtrace='set -x'
else
	_tl_xtrace=:
fi

# --- helpers ----------------------------------------------------------------

# What test bodies call; from the same directory as this file.
if ! test -f "$TEST_DIRECTORY/test-lib-functions.sh"; then
	echo "Bail out! cannot find '$TEST_DIRECTORY/test-lib-functions.sh' beside test-lib.sh"
	exit 1
fi
. "$TEST_DIRECTORY/test-lib-functions.sh"

# --- environment and trash directory ----------------------------------------

PATH=$TURNOUT_BUILD_DIR:$PATH
LC_ALL=C LANG=C TZ=UTC
unset XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME

if ! mkdir -p "$TEST_OUTPUT_DIRECTORY" ||
   ! TEST_OUTPUT_DIRECTORY=$(cd "$TEST_OUTPUT_DIRECTORY" && pwd); then
	echo "Bail out! cannot create '$TEST_OUTPUT_DIRECTORY'"
	exit 1
fi
TRASH_DIRECTORY=$TEST_OUTPUT_DIRECTORY/trash.$TEST_NAME

# Remove a directory tree, even one a test made read-only.
_tl_remove_tree () {
	test -e "$1" || test -L "$1" || return 0
	rm -rf "$1" 2>/dev/null && return 0
	chmod -R u+rwx "$1" 2>/dev/null
	rm -rf "$1"
}

if ! _tl_remove_tree "$TRASH_DIRECTORY" ||
   ! mkdir "$TRASH_DIRECTORY" ||
   ! cd "$TRASH_DIRECTORY"; then
	echo "Bail out! cannot set up trash directory '$TRASH_DIRECTORY'"
	exit 1
fi
HOME=$TRASH_DIRECTORY
export PATH LC_ALL LANG TZ HOME TEST_DIRECTORY TRASH_DIRECTORY \
	TURNOUT_BUILD_DIR TURNOUT_SRC_DIR

# Where test code writes when not verbose; each test's part is shown when it
# fails, the whole file stays in a kept trash directory.
_tl_log=$TRASH_DIRECTORY/.test-output
: >"$_tl_log"

# fd 5: the TAP stream; fd 7: the original stderr.
exec 5>&1 7>&2

# --- state ------------------------------------------------------------------

_tl_count=0 _tl_passed=0 _tl_failed=0 _tl_broken=0 _tl_fixed=0 _tl_skipped=0
_tl_in_test='' _tl_in_eval='' _tl_done='' _tl_bug='' _tl_stopped=''
_tl_wf_n=0 _tl_atexit_n=0 _tl_atexit_failed=
_tl_prereqs=' ' _tl_prereqs_no=' '

# --- output -----------------------------------------------------------------

# True when file descriptor $1 is open for writing.  ("true", not ":": a
# failed redirection on a special builtin makes dash exit.)
_tl_fd_ok () {
	{ true >&"$1"; } 2>/dev/null
}

# Print a line of TAP.  Inside a trap the TAP fd may be closed (bash keeps
# the test code's redirections while running the EXIT trap); fall back to
# stdout then.
_tl_tap () {
	if _tl_fd_ok 5; then
		printf '%s\n' "$*" >&5
	else
		printf '%s\n' "$*"
	fi
}

# A remark from the library about the current test: where its output goes.
_tl_note () {
	if test "$_tl_verbose" = t && _tl_fd_ok 7; then
		printf '%s\n' "$*" >&7
	else
		printf '%s\n' "$*" >>"$_tl_log"
	fi
}

# say MESSAGE: a TAP comment ("# MESSAGE").
say () {
	_tl_tap "# $*"
}

# Stop with a TAP bail-out (printed by the EXIT trap): the script itself is
# wrong.  In a subshell this only ends the subshell, which fails the test.
BUG () {
	printf 'BUG in test script: %s\n' "$*" >&2
	_tl_bug="BUG in test script: $*"
	exit 1
}

# A description fit for a TAP line: one line, and with $2 = escape, '#'
# escaped so that the driver cannot take "a # skip b" for a directive.
_tl_tap_desc () {
	if test "${2-}" = escape; then
		printf '%s' "$1" | tr '\n' ' ' | sed 's/#/\\#/g'
	else
		printf '%s' "$1" | tr '\n' ' '
	fi
}

# Print a TODO result: $1 is "ok" or "not ok", $2 the explanation.
# tap-driver.sh gives up on a line at the first escaped "\# todo|skip" unless
# the directive ends the line, so a description with '#' gets a bare
# "# TODO" and the explanation on a comment line.
_tl_tap_todo () {
	case $_tl_desc in
	*'#'*)
		_tl_tap "$1 $_tl_count - $_tl_tdesc # TODO"
		say "TODO $2"
		;;
	*)
		_tl_tap "$1 $_tl_count - $_tl_tdesc # TODO $2"
		;;
	esac
}

# --- evaluating test code ---------------------------------------------------

# Run code in the current shell.  The body is wrapped in { } so that the
# shell parses it whole before running any of it, and "command eval" turns a
# syntax error into a status of 2 instead of ending the script under dash.
_tl_eval_inner () {
	_tl_evalcode=$1
	shift
	command eval "{ $_tl_xtrace
$_tl_evalcode
}"
}

# _tl_eval CODE: run CODE with stdin from /dev/null and its output sent to
# the log (or stderr with --verbose).  Nested calls (test_debug inside a test)
# inherit the outer redirections.
_tl_eval () {
	if test -n "$_tl_in_eval"; then
		_tl_eval_inner "$1"
		return
	fi
	_tl_in_eval=t
	if test "$_tl_verbose" = t; then
		_tl_eval_inner "$1" </dev/null >&7 2>&7 5>&- 7>&-
	else
		_tl_eval_inner "$1" </dev/null >>"$_tl_log" 2>&1 5>&- 7>&-
	fi
	{ _tl_eval_ret=$?; set +x; } 2>/dev/null
	_tl_in_eval=
	return $_tl_eval_ret
}

# --- cleanups ---------------------------------------------------------------

# test_when_finished and test_atexit (test-lib-functions.sh) record commands
# as _tl_wf_N and _tl_atexit_N; these run them.

# Run and forget the current test's cleanups; status 1 if any failed.
_tl_run_when_finished () {
	_tl_wf_ret=0
	while test "$_tl_wf_n" -gt 0; do
		eval "_tl_wf_cmd=\$_tl_wf_$_tl_wf_n"
		unset "_tl_wf_$_tl_wf_n"
		_tl_wf_n=$((_tl_wf_n - 1))
		if ! _tl_eval "$_tl_wf_cmd"; then
			_tl_note "test_when_finished command failed: $_tl_wf_cmd"
			_tl_wf_ret=1
		fi
	done
	return $_tl_wf_ret
}

# Forget the current test's cleanups without running them (--immediate).
_tl_drop_when_finished () {
	while test "$_tl_wf_n" -gt 0; do
		unset "_tl_wf_$_tl_wf_n"
		_tl_wf_n=$((_tl_wf_n - 1))
	done
}

# Run the test_atexit commands, the last registered first.  Each command is
# forgotten before it runs, so an interruption during the cleanup cannot run
# it twice.
_tl_run_atexit () {
	test "$_tl_atexit_n" -gt 0 || return 0
	cd "$TRASH_DIRECTORY" 2>/dev/null || true
	while test "$_tl_atexit_n" -gt 0; do
		eval "_tl_atexit_cmd=\$_tl_atexit_$_tl_atexit_n"
		unset "_tl_atexit_$_tl_atexit_n"
		_tl_atexit_n=$((_tl_atexit_n - 1))
		if ! _tl_eval "$_tl_atexit_cmd"; then
			_tl_atexit_failed=t
			_tl_note "test_atexit command failed: $_tl_atexit_cmd"
			say "test_atexit command failed: $_tl_atexit_cmd"
		fi
	done
}

# --- running tests ----------------------------------------------------------

# Parse [PREREQ] DESCRIPTION CODE; CODE "-" means read it from stdin.
_tl_parse_args () {
	case $# in
	2) _tl_prereq='' _tl_desc=$1 _tl_code=$2 ;;
	3) _tl_prereq=$1 _tl_desc=$2 _tl_code=$3 ;;
	*) BUG "usage: $_tl_func [PREREQ] 'description' 'code'" ;;
	esac
	if test "x$_tl_code" = x-; then
		_tl_code=$(cat)
	fi
	test -z "$_tl_in_test" || BUG "$_tl_func inside another test"
}

# Print the failing code and the end of its output as TAP comments.
_tl_explain_failure () {
	printf '%s\n' "$_tl_code" | awk '{ print "#\t" $0 }' >&5
	test "$_tl_verbose" = t && return 0
	_tl_out_lines=$(tail -c +$((_tl_log_off + 1)) "$_tl_log" | wc -l)
	_tl_out_lines=$(($_tl_out_lines))
	test "$_tl_out_lines" -gt 0 || return 0
	if test "$_tl_out_lines" -gt 40; then
		say "output (last 40 of $_tl_out_lines lines; all in $_tl_log):"
	else
		say "output:"
	fi
	tail -c +$((_tl_log_off + 1)) "$_tl_log" | tail -n 40 |
		awk '{ print "# " $0 }' >&5
}

# Run the parsed test; $1 is "success" or "failure" (expected outcome).
_tl_run_test () {
	_tl_count=$((_tl_count + 1))
	if test -n "$_tl_prereq" && ! test_have_prereq "$_tl_prereq"; then
		_tl_skipped=$((_tl_skipped + 1))
		_tl_tap "ok $_tl_count # skip $(_tl_tap_desc "$_tl_desc") (missing $_tl_missing)"
		return 0
	fi

	# As git's --chain-lint: with every command joined by &&, a false
	# start runs nothing and the status is 117; a missing && lets the rest
	# run, and its assertions would be thrown away.
	if test "${TEST_CHAIN_LINT:-1}" != 0; then
		_tl_eval "(exit 117) && $_tl_code"
		test $? = 117 || BUG "broken &&-chain in '$_tl_desc'"
	fi
	printf '=== %s %s: %s\n' "$1" "$_tl_count" "$_tl_desc" >>"$_tl_log"
	_tl_log_off=$(wc -c <"$_tl_log")
	_tl_log_off=$(($_tl_log_off))
	if test "$_tl_verbose" = t; then
		{
			printf 'expecting %s of %s %s:\n' "$1" "$_tl_count" "'$_tl_desc'"
			printf '%s\n' "$_tl_code" | awk '{ print "\t" $0 }'
		} >&7
	fi

	_tl_in_test=t
	_tl_cwd=$PWD
	_tl_eval "$_tl_code"
	_tl_ret=$?
	if test $_tl_ret != 0 && test "$1" = success && test "$_tl_immediate" = t; then
		test "$_tl_wf_n" = 0 ||
			_tl_note "--immediate: test_when_finished cleanups not run"
		_tl_drop_when_finished
	elif ! _tl_run_when_finished && test $_tl_ret = 0; then
		_tl_ret=1
	fi
	_tl_in_test=
	cd "$_tl_cwd" 2>/dev/null || cd "$TRASH_DIRECTORY" ||
		BUG "cannot return to '$_tl_cwd'"

	_tl_tdesc=$(_tl_tap_desc "$_tl_desc" escape)
	case $1,$_tl_ret in
	success,0)
		_tl_passed=$((_tl_passed + 1))
		_tl_tap "ok $_tl_count - $_tl_tdesc"
		;;
	success,*)
		_tl_failed=$((_tl_failed + 1))
		_tl_tap "not ok $_tl_count - $_tl_tdesc"
		_tl_explain_failure
		if test "$_tl_immediate" = t; then
			say "stopping at the first failure (--immediate)"
			_tl_stopped=t
			test_done
		fi
		;;
	failure,0)
		_tl_fixed=$((_tl_fixed + 1))
		_tl_tap_todo ok "known breakage vanished"
		;;
	failure,*)
		_tl_broken=$((_tl_broken + 1))
		_tl_tap_todo "not ok" "known breakage"
		;;
	esac
	return 0
}

# test_expect_success [PREREQ] 'description' 'code'
test_expect_success () {
	_tl_func=test_expect_success
	_tl_parse_args "$@"
	_tl_run_test success
}

# test_expect_failure [PREREQ] 'description' 'code': a known breakage.
test_expect_failure () {
	_tl_func=test_expect_failure
	_tl_parse_args "$@"
	_tl_run_test failure
}


# --- finishing --------------------------------------------------------------

# test_skip_all REASON: skip the whole script.
test_skip_all () {
	skip_all=$1
	test_done
}

# Print the plan and a summary, run the test_atexit commands, remove the
# trash directory if all went well, and exit 0 (all passed) or 1.
test_done () {
	test -z "$_tl_in_test" || test "$_tl_stopped" = t ||
		BUG "test_done inside a test"
	_tl_done=t
	_tl_in_test=
	_tl_run_atexit

	if test -n "${skip_all-}" && test "$_tl_count" = 0; then
		_tl_tap "1..0 # SKIP $skip_all"
		_tl_status=0
	else
		_tl_tap "1..$_tl_count"
		test -z "${skip_all-}" || say "skip_all ignored after tests ran: $skip_all"
		test "$_tl_skipped" = 0 || say "skipped $_tl_skipped test(s)"
		test "$_tl_broken" = 0 || say "still have $_tl_broken known breakage(s)"
		test "$_tl_fixed" = 0 ||
			say "$_tl_fixed known breakage(s) vanished; please update test(s)"
		if test "$_tl_failed" = 0; then
			say "passed all $_tl_count test(s)"
		else
			say "failed $_tl_failed among $_tl_count test(s)"
		fi
		_tl_status=0
		if test "$_tl_failed" != 0 || test "$_tl_fixed" != 0 ||
		   test "$_tl_atexit_failed" = t; then
			_tl_status=1
		fi
	fi

	if test $_tl_status = 0 && test "$_tl_keep" != t; then
		cd "$TEST_OUTPUT_DIRECTORY" &&
		_tl_remove_tree "$TRASH_DIRECTORY" ||
			say "warning: cannot remove '$TRASH_DIRECTORY'"
	else
		say "trash directory kept: $TRASH_DIRECTORY"
	fi
	exit $_tl_status
}

# --- traps ------------------------------------------------------------------

# After a signal or an "exit" inside test code, the test code's redirections
# may still be in place (bash); send output where it still can go.
_tl_trap_setup () {
	{ set +x; } 2>/dev/null
	_tl_in_eval=
	_tl_fd_ok 7 || _tl_verbose=
}

_tl_on_exit () {
	_tl_exit_code=$?
	test "$_tl_done" = t && exit $_tl_exit_code
	_tl_done=t
	_tl_trap_setup
	if test -n "$_tl_bug"; then
		_tl_tap "Bail out! $_tl_bug"
	else
		if test -n "$_tl_in_test"; then
			_tl_why="during test $_tl_count ($(_tl_tap_desc "$_tl_desc"))"
		else
			_tl_why="without calling test_done"
		fi
		_tl_note "unexpected exit with status $_tl_exit_code $_tl_why"
		_tl_tap "Bail out! unexpected exit with status $_tl_exit_code $_tl_why"
	fi
	_tl_run_atexit
	say "trash directory kept: $TRASH_DIRECTORY"
	test "$_tl_exit_code" != 0 || _tl_exit_code=1
	exit $_tl_exit_code
}

# $1: signal name, $2: exit status.
_tl_on_signal () {
	_tl_done=t
	_tl_trap_setup
	_tl_note "interrupted by SIG$1"
	_tl_tap "Bail out! interrupted by SIG$1"
	_tl_run_atexit
	exit "$2"
}

trap '_tl_on_exit' EXIT
trap '_tl_on_signal HUP 129' HUP
trap '_tl_on_signal INT 130' INT
trap '_tl_on_signal TERM 143' TERM

# --- prerequisites every script may ask for ---------------------------------

test_lazy_prereq NOT_ROOT 'test "$(id -u)" != 0'
