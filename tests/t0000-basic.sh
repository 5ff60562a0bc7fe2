#!/bin/sh
#
# t0000: the test library itself.  Most tests write a small test script,
# run it with the shell that runs this one, and check its TAP output, exit
# status and trash directory.  Those scripts put their trash directories
# inside ours.

. "$(dirname "$0")/test-lib.sh"

# write_sub NAME <<-\EOF: NAME.sh, a test script that sources the library.
write_sub () {
	{
		echo '#!/bin/sh' &&
		echo '. "$TEST_DIRECTORY/test-lib.sh"' &&
		cat
	} >"$1.sh"
}

# in_sub_env CMD...: run CMD with our settings cleared and trash
# directories going into ours. The scripts here break &&-chains on purpose
# (a syntax error, a background process): the chain lint is off in them
# unless SUB_CHAIN_LINT=1.
in_sub_env () {
	(
		unset TEST_VERBOSE TEST_KEEP TEST_IMMEDIATE TEST_TRACE skip_all
		TEST_OUTPUT_DIRECTORY=$TRASH_DIRECTORY
		TEST_CHAIN_LINT=${SUB_CHAIN_LINT:-0}
		export TEST_OUTPUT_DIRECTORY TEST_CHAIN_LINT
		"$@"
	)
}

# run_sub NAME [OPTIONS...]: run NAME.sh; leaves NAME.out (stdout),
# NAME.err (stderr), NAME.rc (exit status); its trash is trash.NAME.
run_sub () {
	sub_name=$1
	shift
	in_sub_env "$TEST_SHELL_PATH" "./$sub_name.sh" "$@" \
		>"$sub_name.out" 2>"$sub_name.err"
	echo $? >"$sub_name.rc"
}

# check_rc NAME N: NAME.sh exited with status N.
check_rc () {
	echo "$2" >"$1.rc.expect" &&
	test_cmp "$1.rc.expect" "$1.rc"
}

TAP_DRIVER=
for f in "$TURNOUT_SRC_DIR/build-aux/tap-driver.sh" \
	/usr/share/automake*/tap-driver.sh; do
	if test -f "$f"; then
		TAP_DRIVER=$f
		break
	fi
done
test -z "$TAP_DRIVER" || test_set_prereq TAP_DRIVER
test_lazy_prereq BASH 'test -n "$BASH_VERSION"'

# --- environment ------------------------------------------------------------

test_expect_success 'the trash directory is the cwd and HOME' '
	test "$PWD" = "$TRASH_DIRECTORY" &&
	test "$HOME" = "$TRASH_DIRECTORY" &&
	test "$(basename "$TRASH_DIRECTORY")" = trash.t0000-basic &&
	test "$(dirname "$TRASH_DIRECTORY")" = "$TEST_OUTPUT_DIRECTORY" &&
	test_path_is_file .test-output
'

test_expect_success 'TEST_DIRECTORY, TURNOUT_SRC_DIR and PATH are set' '
	test_path_is_file "$TEST_DIRECTORY/test-lib.sh" &&
	test_path_is_file "$TURNOUT_SRC_DIR/tests/t0000-basic.sh" &&
	case $PATH in
	"$TURNOUT_BUILD_DIR":*) true ;;
	*) echo "PATH does not start with $TURNOUT_BUILD_DIR: $PATH"; false ;;
	esac
'

test_expect_success 'without TURNOUT_*, paths come from the library location' - <<\EOT
	mkdir -p rel/tests rel/build &&
	cp "$TEST_DIRECTORY/test-lib.sh" "$TEST_DIRECTORY/test-lib-functions.sh" rel/tests/ &&
	cat >rel/tests/t9999-rel.sh <<-\EOF &&
	#!/bin/sh
	. "$(dirname "$0")/test-lib.sh"
	{
		echo "TEST_DIRECTORY=$TEST_DIRECTORY"
		echo "TURNOUT_SRC_DIR=$TURNOUT_SRC_DIR"
		echo "TURNOUT_BUILD_DIR=$TURNOUT_BUILD_DIR"
		echo "TRASH_DIRECTORY=$TRASH_DIRECTORY"
		echo "PWD=$PWD"
	} >"$TEST_DIRECTORY/env.out"
	test_done
	EOF
	(
		unset TURNOUT_SRC_DIR TURNOUT_BUILD_DIR TEST_DIRECTORY \
			TEST_OUTPUT_DIRECTORY TEST_KEEP &&
		cd rel/build &&
		"$TEST_SHELL_PATH" ../tests/t9999-rel.sh >../rel.out 2>&1
	) &&
	here=$PWD/rel &&
	cat >expect <<-EOF &&
	TEST_DIRECTORY=$here/tests
	TURNOUT_SRC_DIR=$here
	TURNOUT_BUILD_DIR=$here
	TRASH_DIRECTORY=$here/tests/trash.t9999-rel
	PWD=$here/tests/trash.t9999-rel
	EOF
	test_cmp expect rel/tests/env.out &&
	test_grep "^1\.\.0" rel/rel.out &&
	test_path_is_missing rel/tests/trash.t9999-rel
EOT

test_expect_success 'test-lib.sh bails out without test-lib-functions.sh beside it' - <<\EOT
	mkdir -p alone/tests &&
	cp "$TEST_DIRECTORY/test-lib.sh" alone/tests/ &&
	cp rel/tests/t9999-rel.sh alone/tests/ &&
	(
		unset TURNOUT_SRC_DIR TURNOUT_BUILD_DIR TEST_DIRECTORY \
			TEST_OUTPUT_DIRECTORY TEST_KEEP &&
		test_expect_code 1 "$TEST_SHELL_PATH" alone/tests/t9999-rel.sh >alone.out 2>&1
	) &&
	test_grep "^Bail out! cannot find .*/alone/tests/test-lib-functions.sh" alone.out &&
	test_path_is_missing alone/tests/trash.t9999-rel &&
	test_path_is_missing alone/tests/env.out
EOT

test_expect_success 'a test can set variables for later tests' '
	shared_var=set-in-test1
'

test_expect_success 'a test sees variables set by earlier tests' '
	test "$shared_var" = set-in-test1
'

test_expect_success 'a test that changes directory' '
	mkdir -p elsewhere &&
	cd elsewhere
'

test_expect_success 'the next test starts where the last one started' '
	test "$PWD" = "$TRASH_DIRECTORY"
'

test_expect_success 'an unknown option is refused' - <<\EOT
	write_sub badopt </dev/null &&
	run_sub badopt --no-such-option &&
	check_rc badopt 1 &&
	test_grep "^Bail out! unknown option" badopt.out
EOT

# --- results ----------------------------------------------------------------

test_expect_success 'passing tests give ok, the plan, exit 0, no trash' - <<\EOT
	write_sub pass <<-\EOF &&
	test_expect_success "first" "true"
	test_expect_success "second" "test 1 = 1"
	test_done
	EOF
	run_sub pass &&
	cat >expect <<-\EOF &&
	ok 1 - first
	ok 2 - second
	1..2
	# passed all 2 test(s)
	EOF
	test_cmp expect pass.out &&
	check_rc pass 0 &&
	test_path_is_missing trash.pass
EOT

test_expect_success 'a failing test gives not ok, its code and its output' - <<\EOT
	write_sub fail <<-\EOF &&
	test_expect_success "fails" "echo some-output && false"
	test_expect_success "passes" "true"
	test_done
	EOF
	run_sub fail &&
	test_grep -x "not ok 1 - fails" fail.out &&
	test_grep -x -F "#	echo some-output && false" fail.out &&
	test_grep -x "# some-output" fail.out &&
	test_grep -x "ok 2 - passes" fail.out &&
	test_grep -x "1\.\.2" fail.out
EOT

test_expect_success 'test_done exits 1 and keeps the trash after a failure' '
	test_grep -x "# failed 1 among 2 test(s)" fail.out &&
	check_rc fail 1 &&
	test_path_is_dir trash.fail &&
	test_grep some-output trash.fail/.test-output
'

test_expect_success 'only the last 40 lines of output are shown' - <<\EOT
	write_sub long <<-\EOF &&
	test_expect_success "noisy" "
		awk 'BEGIN { for (i = 1; i <= 100; i++) print \"line\" i }' &&
		false
	"
	test_done
	EOF
	run_sub long &&
	test_grep -x "# line100" long.out &&
	test_grep -x "# line61" long.out &&
	test_grep ! -x "# line60" long.out &&
	test_grep "last 40 of 100 lines" long.out
EOT

test_expect_success 'a syntax error or return 1 fails only that test' - <<\EOT
	write_sub syntax <<-\EOF &&
	test_expect_success "syntax error" "if then"
	test_expect_success "return 1" "for i in 1 2; do test \$i = 1 || return 1; done"
	test_expect_success "still running" "true"
	test_done
	EOF
	run_sub syntax &&
	test_grep -x "not ok 1 - syntax error" syntax.out &&
	test_grep -x "not ok 2 - return 1" syntax.out &&
	test_grep -x "ok 3 - still running" syntax.out &&
	test_grep -x "1\.\.3" syntax.out &&
	check_rc syntax 1
EOT

test_expect_success 'a broken &&-chain is a bug in the test script, and runs nothing' - <<\EOT
	write_sub chain <<-\EOF &&
	test_expect_success "whole" "true && true"
	test_expect_success "broken" "
		true
		echo ran >../chain.ran
	"
	test_done
	EOF
	SUB_CHAIN_LINT=1 run_sub chain &&
	test_grep -x "ok 1 - whole" chain.out &&
	test_grep "Bail out! BUG in test script: broken &&-chain in .broken." chain.out &&
	check_rc chain 1 &&
	# The lint ran the part after the break; the test itself never ran.
	test_path_is_file chain.ran &&
	! grep "ok 2" chain.out
EOT

test_expect_success 'test_expect_failure reports a known breakage as TODO' - <<\EOT
	write_sub broken <<-\EOF &&
	test_expect_failure "broken" "false"
	test_done
	EOF
	run_sub broken &&
	test_grep -x "not ok 1 - broken # TODO known breakage" broken.out &&
	test_grep -x "# still have 1 known breakage(s)" broken.out &&
	check_rc broken 0
EOT

test_expect_success 'a vanished known breakage is reported and fails' - <<\EOT
	write_sub fixed <<-\EOF &&
	test_expect_failure "fixed" "true"
	test_done
	EOF
	run_sub fixed &&
	test_grep -x "ok 1 - fixed # TODO known breakage vanished" fixed.out &&
	check_rc fixed 1
EOT

test_expect_success 'a # in a description is escaped' - <<\EOT
	write_sub hash <<-\EOF &&
	test_expect_success "issue # skip this" "true"
	test_done
	EOF
	run_sub hash &&
	test_grep -x -F "ok 1 - issue \# skip this" hash.out
EOT

test_expect_success 'a test body can come from stdin' - <<\EOT
	stdin_body_ran=yes
EOT

test_expect_success 'the stdin body ran' '
	test "$stdin_body_ran" = yes
'

# --- prerequisites ----------------------------------------------------------

test_expect_success 'prerequisites: missing ones skip, lazy ones run once' - <<\EOT
	write_sub prereq <<-\EOF &&
	test_set_prereq HAVE
	test_lazy_prereq LAZY_YES 'echo ran >>"$TRASH_DIRECTORY/../lazy.count"'
	test_lazy_prereq LAZY_NO 'false'
	test_expect_success MISSING "needs missing" "false"
	test_expect_success HAVE "has it" "true"
	test_expect_success !HAVE "needs not HAVE" "false"
	test_expect_success LAZY_YES,HAVE "lazy yes" "true"
	test_expect_success LAZY_NO "lazy no" "false"
	test_expect_success "have_prereq" "
		test_have_prereq HAVE,LAZY_YES &&
		! test_have_prereq MISSING &&
		! test_have_prereq HAVE,LAZY_NO &&
		test_have_prereq !MISSING
	"
	test_done
	EOF
	run_sub prereq &&
	cat >expect <<-\EOF &&
	ok 1 # skip needs missing (missing MISSING)
	ok 2 - has it
	ok 3 # skip needs not HAVE (missing !HAVE)
	ok 4 - lazy yes
	ok 5 # skip lazy no (missing LAZY_NO)
	ok 6 - have_prereq
	1..6
	# skipped 3 test(s)
	# passed all 6 test(s)
	EOF
	test_cmp expect prereq.out &&
	check_rc prereq 0 &&
	test_line_count = 1 lazy.count
EOT

test_expect_success 'skip_all and test_skip_all skip the whole script' - <<\EOT
	write_sub skipall <<-\EOF &&
	skip_all="no frobnicator here"
	test_done
	EOF
	write_sub skipall2 <<-\EOF &&
	test_skip_all "no frobnicator either"
	EOF
	run_sub skipall &&
	run_sub skipall2 &&
	echo "1..0 # SKIP no frobnicator here" >expect &&
	test_cmp expect skipall.out &&
	echo "1..0 # SKIP no frobnicator either" >expect &&
	test_cmp expect skipall2.out &&
	check_rc skipall 0 &&
	check_rc skipall2 0 &&
	test_path_is_missing trash.skipall
EOT

# --- test_when_finished -----------------------------------------------------

test_expect_success 'test_when_finished runs after a failing body, last first' - <<\EOT
	write_sub wf <<-\EOF &&
	test_expect_success "body fails" "
		test_when_finished 'echo first >>order' &&
		test_when_finished 'echo second >>order' &&
		false
	"
	test_done
	EOF
	run_sub wf &&
	test_grep -x "not ok 1 - body fails" wf.out &&
	printf "second\nfirst\n" >expect &&
	test_cmp expect trash.wf/order
EOT

test_expect_success 'a failing test_when_finished command fails the test' - <<\EOT
	write_sub wffail <<-\EOF &&
	test_expect_success "cleanup fails" "
		test_when_finished 'echo ran >ran' &&
		test_when_finished false &&
		true
	"
	test_done
	EOF
	run_sub wffail &&
	test_grep -x "not ok 1 - cleanup fails" wffail.out &&
	test_grep "test_when_finished command failed: false" wffail.out &&
	test_path_is_file trash.wffail/ran &&
	check_rc wffail 1
EOT

test_expect_success 'test_when_finished outside a test is a bug' - <<\EOT
	write_sub wfout <<-\EOF &&
	test_when_finished true
	test_done
	EOF
	run_sub wfout &&
	test_grep "^Bail out! BUG in test script: test_when_finished outside a test" wfout.out &&
	check_rc wfout 1
EOT

test_expect_success BASH 'test_when_finished in a subshell fails the test' - <<\EOT
	write_sub wfsub <<-\EOF &&
	test_expect_success "in a subshell" "(test_when_finished true)"
	test_done
	EOF
	run_sub wfsub &&
	test_grep -x "not ok 1 - in a subshell" wfsub.out &&
	test_grep "does nothing in a subshell" wfsub.out
EOT

# --- test_atexit and endings ------------------------------------------------

test_expect_success 'test_atexit commands run at test_done, last first' - <<\EOT
	write_sub atexit <<-\EOF &&
	test_atexit 'echo first >>../atexit.order'
	test_expect_success "registers" "
		test_atexit 'echo second >>../atexit.order'
	"
	test_done
	EOF
	run_sub atexit &&
	printf "second\nfirst\n" >expect &&
	test_cmp expect atexit.order &&
	check_rc atexit 0 &&
	test_path_is_missing trash.atexit
EOT

test_expect_success 'a failing test_atexit command makes the script fail' - <<\EOT
	write_sub atexitfail <<-\EOF &&
	test_atexit false
	test_expect_success "passes" "true"
	test_done
	EOF
	run_sub atexitfail &&
	test_grep -x "ok 1 - passes" atexitfail.out &&
	test_grep "test_atexit command failed: false" atexitfail.out &&
	check_rc atexitfail 1
EOT

test_expect_success 'test_atexit commands run on an unexpected exit' - <<\EOT
	write_sub exit <<-\EOF &&
	test_atexit 'echo ran >../exit.ran'
	test_expect_success "exits" "exit 3"
	test_done
	EOF
	run_sub exit &&
	check_rc exit 3 &&
	test_path_is_file exit.ran &&
	test_grep ! "^1\.\." exit.out &&
	cat exit.out trash.exit/.test-output >exit.all &&
	test_grep "unexpected exit with status 3 during test 1" exit.all
EOT

test_expect_success 'a script that ends without test_done is an error' - <<\EOT
	write_sub nodone <<-\EOF &&
	test_atexit 'echo ran >../nodone.ran'
	test_expect_success "passes" "true"
	EOF
	run_sub nodone &&
	test_grep -x "Bail out! unexpected exit with status 0 without calling test_done" nodone.out &&
	test_path_is_file nodone.ran &&
	check_rc nodone 1
EOT

test_expect_success 'SIGTERM runs test_atexit, which stops a background process' - <<\EOT
	test_when_finished "kill \$(cat daemon.pid) 2>/dev/null; true" &&
	write_sub killed <<-\EOF &&
	test_expect_success "start a daemon" "
		sleep 600 </dev/null >/dev/null 2>&1 &
		echo \$! >../daemon.pid &&
		test_atexit 'kill \$(cat ../daemon.pid) && { wait \$(cat ../daemon.pid); true; }' &&
		test_atexit 'echo stopped >../daemon.stopped'
	"
	test_expect_success "interrupted" "kill -TERM \$\$ && echo >../not-reached"
	test_done
	EOF
	run_sub killed &&
	check_rc killed 143 &&
	test_path_is_file daemon.stopped &&
	test_path_is_missing not-reached &&
	test_grep -x "ok 1 - start a daemon" killed.out &&
	pid=$(cat daemon.pid) &&
	test -n "$pid" &&
	! kill -0 "$pid" 2>/dev/null
EOT

test_lazy_prereq PROCFS 'test -d /proc/self/fd'

test_expect_success PROCFS 'a background process does not inherit the TAP fds' - <<\EOT
	test_when_finished "kill \$(cat bg.pid) 2>/dev/null; true" &&
	write_sub bg <<-\EOF &&
	test_expect_success "start" "
		sleep 600 &
		echo \$! >../bg.pid
	"
	test_done
	EOF
	run_sub bg &&
	check_rc bg 0 &&
	pid=$(cat bg.pid) &&
	test_path_is_dir /proc/$pid/fd &&
	test_path_is_missing /proc/$pid/fd/5 &&
	test_path_is_missing /proc/$pid/fd/7
EOT

# --- options ----------------------------------------------------------------

test_expect_success '--immediate stops at the first failure, keeps its state' - <<\EOT
	write_sub imm <<-\EOF &&
	test_atexit 'echo ran >../imm.atexit'
	test_expect_success "fails" "test_when_finished 'echo ran >cleanup.ran' && false"
	test_expect_success "never runs" "true"
	test_done
	EOF
	run_sub imm -i &&
	test_grep -x "not ok 1 - fails" imm.out &&
	test_grep ! "never runs" imm.out &&
	test_grep -x "1\.\.1" imm.out &&
	check_rc imm 1 &&
	test_path_is_missing trash.imm/cleanup.ran &&
	test_path_is_file imm.atexit
EOT

test_expect_success '--verbose sends test output to stderr, never stdout' - <<\EOT
	write_sub verbose <<-\EOF &&
	test_expect_success "talks" "echo marker-out && echo marker-err >&2"
	test_done
	EOF
	run_sub verbose -v &&
	test_grep ! marker verbose.out &&
	test_grep marker-out verbose.err &&
	test_grep marker-err verbose.err &&
	check_rc verbose 0
EOT

test_expect_success 'without --verbose, test output goes to .test-output' - <<\EOT
	cp verbose.sh quiet.sh &&
	run_sub quiet -d &&
	test_grep ! marker quiet.out &&
	test_grep ! marker quiet.err &&
	test_grep marker-out trash.quiet/.test-output &&
	test_grep marker-err trash.quiet/.test-output
EOT

test_expect_success '--debug keeps the trash and runs test_debug' - <<\EOT
	write_sub debug <<-\EOF &&
	test_debug 'echo ran >../debug.ran'
	test_expect_success "passes" "true"
	test_done
	EOF
	run_sub debug &&
	test_path_is_missing debug.ran &&
	test_path_is_missing trash.debug &&
	run_sub debug -d &&
	test_path_is_file debug.ran &&
	test_path_is_dir trash.debug &&
	test_grep "trash directory kept" debug.out &&
	check_rc debug 0
EOT

test_expect_success 'TEST_KEEP=1 keeps the trash of a passing script' - <<\EOT
	cp pass.sh keep.sh &&
	in_sub_env env TEST_KEEP=1 "$TEST_SHELL_PATH" ./keep.sh >keep.out 2>&1 &&
	test_path_is_dir trash.keep
EOT

test_expect_success '-x traces test code into the failure report' - <<\EOT
	write_sub trace <<-\EOF &&
	test_expect_success "traced" "echo trace-marker && false"
	test_done
	EOF
	run_sub trace &&
	test_grep ! "^# +* *echo trace-marker" trace.out &&
	run_sub trace -x &&
	test_grep "^# +\{1,\} *echo trace-marker" trace.out
EOT

# --- assertions -------------------------------------------------------------

test_expect_success 'test_must_fail accepts an ordinary failure' '
	test_must_fail false &&
	test_must_fail sh -c "exit 2"
'

test_expect_success 'test_must_fail rejects success, 127, 126 and signals' '
	! test_must_fail true 2>err &&
	test_grep "command succeeded" err &&
	! test_must_fail no-such-command-t0000 2>err &&
	test_grep "command not found" err &&
	echo "echo hi" >not-executable &&
	chmod -x not-executable &&
	! test_must_fail ./not-executable 2>err &&
	test_grep "not executable" err &&
	! test_must_fail sh -c "kill -TERM \$\$" 2>err &&
	test_grep "died by signal 15" err
'

test_expect_success 'test_might_fail accepts success and failure, not a crash' '
	test_might_fail true &&
	test_might_fail false &&
	! test_might_fail sh -c "kill -KILL \$\$" 2>/dev/null
'

test_expect_success 'test_expect_code checks the exact status' '
	test_expect_code 3 sh -c "exit 3" &&
	! test_expect_code 3 true 2>err &&
	test_grep "exited with 0, we wanted 3" err
'

test_expect_success 'test_wait_until waits for a command, and fails when it times out' '
	{ (sleep 0.3 && echo here >late) & } &&
	test_wait_until 5 test -f late &&
	test_wait_until 0 true &&
	! test_wait_until 1 test -f never 2>err &&
	test_grep "still not true after 1 s: test -f never" err
'

test_expect_success 'test_cmp detects a difference' '
	printf "a\nb\n" >one &&
	printf "a\nc\n" >two &&
	test_cmp one one &&
	! test_cmp one two >diff.out &&
	test_grep -x -- "-b" diff.out &&
	test_grep -x -- "+c" diff.out &&
	! test_cmp one no-such-file 2>/dev/null
'

test_expect_success 'test_grep matches, negates and shows the file' '
	echo hello >greeting &&
	test_grep hell greeting &&
	test_grep ! nope greeting &&
	! test_grep nope greeting 2>err &&
	test_grep -x hello err &&
	! test_grep ! hell greeting 2>err &&
	test_grep "found a match" err &&
	! test_grep hell no-such-file 2>/dev/null &&
	! test_grep ! hell no-such-file 2>/dev/null &&
	! test_grep ! "\\(" greeting 2>/dev/null
'

test_expect_success 'test_line_count counts lines' '
	printf "1\n2\n3\n" >three &&
	test_line_count = 3 three &&
	test_line_count -gt 2 three &&
	test_line_count != 4 three &&
	! test_line_count = 2 three 2>err &&
	test_grep "has 3 line(s), expected = 2" err &&
	! test_line_count = 3 no-such-file 2>/dev/null
'

test_expect_success 'path helpers and test_must_be_empty' '
	: >empty &&
	echo x >full &&
	mkdir -p dir &&
	test_path_is_file empty &&
	! test_path_is_file dir 2>/dev/null &&
	test_path_is_dir dir &&
	! test_path_is_dir full 2>/dev/null &&
	test_path_exists dir &&
	test_path_is_missing nothing &&
	! test_path_is_missing full 2>/dev/null &&
	test_must_be_empty empty &&
	! test_must_be_empty full 2>err &&
	test_grep -x x err &&
	! test_must_be_empty nothing 2>/dev/null &&
	test_file_not_empty full &&
	! test_file_not_empty empty 2>/dev/null
'

test_expect_success 'write_script makes an executable script' '
	write_script hello.sh <<-\EOF &&
	echo "hello from $0"
	EOF
	./hello.sh >out &&
	test_grep "^hello from ./hello.sh$" out
'

# --- the automake TAP driver --------------------------------------------------

test_expect_success TAP_DRIVER 'tap-driver.sh reads our results right' - <<\EOT
	write_sub tap <<-\EOF &&
	test_expect_success "passes" "true"
	test_expect_success "issue # skip is not a directive" "true"
	test_expect_success MISSING "skipped" "false"
	test_expect_failure "known breakage" "false"
	test_expect_failure "known # todo breakage" "false"
	test_expect_success "fails" "false"
	test_done
	EOF
	in_sub_env env AM_TAP_AWK=awk "$TEST_SHELL_PATH" "$TAP_DRIVER" \
		--test-name tap --log-file tap.log --trs-file tap.trs \
		-- "$TEST_SHELL_PATH" ./tap.sh >/dev/null &&
	cat >expect <<-\EOF &&
	:test-result: PASS
	:test-result: PASS
	:test-result: SKIP
	:test-result: XFAIL
	:test-result: XFAIL
	:test-result: FAIL
	:test-result: ERROR
	EOF
	grep "^:test-result:" tap.trs >actual &&
	test_cmp expect actual &&
	test_grep "^ERROR: tap - exited with status 1" tap.log
EOT

test_expect_success TAP_DRIVER 'tap-driver.sh: all passed, and skip_all' - <<\EOT
	for t in pass skipall; do
		in_sub_env env AM_TAP_AWK=awk "$TEST_SHELL_PATH" "$TAP_DRIVER" \
			--test-name $t --log-file $t.log --trs-file $t.trs \
			-- "$TEST_SHELL_PATH" ./$t.sh >/dev/null || return 1
	done &&
	test_grep -x ":global-test-result: PASS" pass.trs &&
	test_grep -x ":global-test-result: SKIP" skipall.trs
EOT

test_done
