#!/bin/sh
# Every fuzz target replays its seed corpus (tests/fuzz/corpus/): the
# parsers of outside input stay fed with real requests, and under the
# sanitizer build any memory error in them fails here. `make fuzz` in a
# build configured with --enable-fuzzing runs libFuzzer on the same targets.

test_description='fuzz targets replay their seeds'
. "$(dirname "$0")/test-lib.sh"

FUZZ=$TURNOUT_BUILD_DIR/tests/fuzz
CORPUS=$TURNOUT_SRC_DIR/tests/fuzz/corpus

for name in payload form hook sig conf channel; do
	test_expect_success "fuzz_$name replays its seeds" '
		n=$(ls "$CORPUS/'$name'" | wc -l) &&
		test "$n" -gt 0 &&
		"$FUZZ/fuzz_'$name'" "$CORPUS/'$name'" >out 2>err &&
		test_grep "^$n inputs ran" out
	'
done

test_expect_success 'the signed hook seeds get past the proof to a push' '
	FUZZ_HOOK_VERDICTS=1 "$FUZZ/fuzz_hook" "$CORPUS/hook" >out &&
	# HOOK_PUSH is 0, HOOK_PING 1, HOOK_UNAUTHORIZED 3; Forgejo counts as gitea.
	test "$(grep -c "^verdict github 0$" out)" = 2 &&
	test "$(grep -c "^verdict gitea 0$" out)" = 2 &&
	# (the GitLab tag seed too: the target deploys tags v*)
	test "$(grep -c "^verdict gitlab 0$" out)" = 2 &&
	test_grep "^verdict bitbucket 0$" out &&
	test_grep "^verdict github 1$" out &&
	test "$(grep -c " 3$" out)" = 2
'

test_expect_success 'a target fails on a file it cannot read' '
	test_must_fail "$FUZZ/fuzz_payload" "$PWD/no-such-file" 2>err &&
	test_grep "cannot read" err
'

test_done
