#!/bin/sh
# The C sources are as clang-format writes them with the project's .clang-format.

test_description='source formatting'
. "$(dirname "$0")/test-lib.sh"

if ! command -v clang-format >/dev/null 2>&1; then
	test_skip_all 'clang-format is not installed (apt-get install clang-format)'
fi

test_expect_success 'src/, tests/unit/ and tests/fuzz/ are formatted as .clang-format says' '
	test -f "$TURNOUT_SRC_DIR/.clang-format" &&
	for f in "$TURNOUT_SRC_DIR"/src/*.[ch] "$TURNOUT_SRC_DIR"/tests/unit/*.c \
	    "$TURNOUT_SRC_DIR"/tests/fuzz/*.[ch]; do
		clang-format "$f" | cmp -s "$f" - || echo "${f#$TURNOUT_SRC_DIR/}" || return 1
	done >unformatted &&
	test_must_be_empty unformatted
'

test_expect_success 'the check sees a file that is not formatted' '
	printf "int\nf(void){return 1;}\n" >bad.c &&
	cp "$TURNOUT_SRC_DIR/.clang-format" . &&
	! clang-format bad.c | cmp -s bad.c -
'

test_done
