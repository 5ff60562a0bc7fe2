/* Unit tests for fsutil.c: mkdirs, atomic writes, reads and in-process removal. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"

static char dir[] = "/tmp/test_fsutil.XXXXXX";

static int
setup(void **state)
{
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char *cause = NULL;
	int rc = fsutil_remove_tree(dir, &cause);

	free(cause);
	return rc;
}

/* dir/name; a new string. */
static char *
at(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_mkdirs(void **state)
{
	char *deep = at("a/b/c"), *parent = at("a/b"), *file = at("plain");
	struct stat st;

	umask(022);
	assert_int_equal(fsutil_mkdirs(deep, 0755, 0700), 0);
	assert_true(fsutil_is_dir(deep));
	assert_int_equal(stat(deep, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(stat(parent, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	/* Again: what exists is fine. */
	assert_int_equal(fsutil_mkdirs(deep, 0755, 0700), 0);
	/* A file in the way is not. */
	put(file, "x");
	free(deep);
	deep = at("plain/sub");
	assert_int_equal(fsutil_mkdirs(deep, 0755, 0700), -1);
	assert_false(fsutil_is_dir(file));
	free(deep);
	free(parent);
	free(file);
}

static void
test_write_atomic(void **state)
{
	char *path = at("up.conf"), *tmp = at("up.conf.turnout-tmp"), *text, *cause = NULL;

	assert_int_equal(fsutil_write_atomic(path, "first\n", &cause), 0);
	assert_int_equal(fsutil_write_atomic(path, "second\n", &cause), 0);
	text = fsutil_read(path, 100);
	assert_string_equal(text, "second\n");
	free(text);
	assert_int_not_equal(access(tmp, F_OK), 0); /* nothing left beside it */
	free(path);
	path = at("missing/up.conf");
	assert_int_equal(fsutil_write_atomic(path, "x", &cause), -1);
	assert_non_null(strstr(cause, "cannot write"));
	assert_non_null(strstr(cause, "missing/up.conf.turnout-tmp"));
	free(cause);
	free(path);
	free(tmp);
}

static void
test_read(void **state)
{
	char *path = at("long"), *text, *missing = at("nope");

	put(path, "0123456789");
	text = fsutil_read(path, 4);
	assert_string_equal(text, "0123");
	free(text);
	text = fsutil_read(path, 100);
	assert_string_equal(text, "0123456789");
	free(text);
	assert_null(fsutil_read(missing, 100));
	free(path);
	free(missing);
}

static void
test_remove_tree(void **state)
{
	char *tree = at("tree"), *sub = at("tree/x/y"), *file = at("tree/x/y/f");
	char *keep = at("keep"), *kept = at("keep/precious"), *link = at("tree/x/link");
	char *cause = NULL;

	assert_int_equal(fsutil_mkdirs(sub, 0700, 0700), 0);
	put(file, "data");
	assert_int_equal(fsutil_mkdirs(keep, 0700, 0700), 0);
	put(kept, "mine");
	/* A symlink out of the tree is removed, never followed. */
	assert_int_equal(symlink(keep, link), 0);
	assert_int_equal(fsutil_remove_tree(tree, &cause), 0);
	assert_int_not_equal(access(tree, F_OK), 0);
	assert_int_equal(access(kept, F_OK), 0);
	/* Nothing there: nothing to do. */
	assert_int_equal(fsutil_remove_tree(tree, &cause), 0);
	/* A plain file is removed too. */
	assert_int_equal(fsutil_remove_tree(kept, &cause), 0);
	assert_int_not_equal(access(kept, F_OK), 0);
	free(tree);
	free(sub);
	free(file);
	free(keep);
	free(kept);
	free(link);
}

static void
test_chown_tree(void **state)
{
	char *tree = at("owned"), *sub = at("owned/a/b"), *file = at("owned/a/b/f");
	char *out = at("outside"), *link = at("owned/a/link");
	/* As root, to another user; else to our own ids, which is allowed. */
	unsigned uid = getuid() == 0 ? 65534 : getuid(), gid = getuid() == 0 ? 65534 : getgid();
	char *cause = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(fsutil_mkdirs(sub, 0755, 0755), 0);
	put(file, "data");
	put(out, "not in the tree");
	assert_int_equal(symlink(out, link), 0);
	assert_int_equal(fsutil_chown_tree(tree, uid, gid, &cause), 0);
	assert_int_equal(lstat(tree, &st), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(lstat(file, &st), 0);
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(lstat(link, &st), 0);
	assert_int_equal(st.st_uid, uid);
	/* The link's target outside the tree keeps its owner. */
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_uid, getuid());
	/* A plain file is a tree of one; one that is not there is named in the error. */
	assert_int_equal(fsutil_chown_tree(file, uid, gid, &cause), 0);
	assert_int_equal(fsutil_remove_tree(tree, &cause), 0);
	assert_int_equal(fsutil_chown_tree(tree, uid, gid, &cause), -1);
	assert_non_null(strstr(cause, "owned"));
	free(cause);
	free(tree);
	free(sub);
	free(file);
	free(out);
	free(link);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mkdirs),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_remove_tree),
		cmocka_unit_test(test_chown_tree),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("fsutil", tests, setup, teardown);
}
