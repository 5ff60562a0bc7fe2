#!/bin/sh
# The C sources (src/, tests/unit/, tests/fuzz/) are as clang-format, with
# the .clang-format at the top of the tree, would write them. Skipped where
# clang-format is missing, or is not the version .clang-format was tuned
# for: another one formats differently.

test_description='the C sources follow .clang-format'
. "$(dirname "$0")/test-lib.sh"

# CLANG_FORMAT=clang-format-14 picks one of several installed.
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
CLANG_FORMAT_MAJOR=14
STYLE=$TURNOUT_SRC_DIR/.clang-format

if ! command -v "$CLANG_FORMAT" >/dev/null
then
	skip_all="$CLANG_FORMAT is not installed (contrib/deps.sh installs it)"
	test_expect_success 'the check sees a file that is not formatted' '
	printf "int\nf(void){return 1;}\n" >bad.c &&
	! "$CLANG_FORMAT" --style=file:"$STYLE" bad.c | cmp -s bad.c -
'

test_done
fi
version=$("$CLANG_FORMAT" --version | sed -n 's/.*clang-format version \([0-9]*\)\..*/\1/p')
if test "$version" != $CLANG_FORMAT_MAJOR
then
	skip_all="$CLANG_FORMAT is version ${version:-unknown}, not $CLANG_FORMAT_MAJOR (set CLANG_FORMAT)"
	test_expect_success 'the check sees a file that is not formatted' '
	printf "int\nf(void){return 1;}\n" >bad.c &&
	! "$CLANG_FORMAT" --style=file:"$STYLE" bad.c | cmp -s bad.c -
'

test_done
fi

test_expect_success '.clang-format is there and clang-format reads it' '
	test_path_is_file "$STYLE" &&
	"$CLANG_FORMAT" --style=file:"$STYLE" --dump-config >config &&
	test_grep "^UseTab: *ForContinuationAndIndentation" config
'

# Our sources: not the generated src/embed_*.c an in-tree build leaves.
sources () {
	for f in "$TURNOUT_SRC_DIR"/src/*.c "$TURNOUT_SRC_DIR"/src/*.h \
		"$TURNOUT_SRC_DIR"/tests/unit/*.c "$TURNOUT_SRC_DIR"/tests/fuzz/*.[ch]
	do
		case $f in
		*/src/embed_sql.c | */src/embed_web.c) ;;
		*) echo "$f" ;;
		esac
	done
}

test_expect_success 'every file in src/, tests/unit/ and tests/fuzz/ is as clang-format writes it' '
	sources >files &&
	test_file_not_empty files &&
	: >differ &&
	: >format.diff &&
	while read -r f
	do
		"$CLANG_FORMAT" --style=file:"$STYLE" "$f" >formatted &&
		if ! cmp -s "$f" formatted
		then
			echo "${f#"$TURNOUT_SRC_DIR"/}" >>differ &&
			test_expect_code 1 diff -u "$f" formatted >>format.diff
		fi || return 1
	done <files &&
	if test -s differ
	then
		echo "these differ from clang-format (diff in $TRASH_DIRECTORY/format.diff;" &&
		echo "clang-format -i FILE... fixes them):" &&
		cat differ &&
		false
	fi
'

test_expect_success 'the check sees a file that is not formatted' '
	printf "int\nf(void){return 1;}\n" >bad.c &&
	! "$CLANG_FORMAT" --style=file:"$STYLE" bad.c | cmp -s bad.c -
'

test_done
