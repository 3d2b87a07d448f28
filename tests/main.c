/*
 * tests/main.c - runs every registered test (or those whose names contain
 * argv[1]) and prints "N passed, N failed".
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

#define MAX_TESTS 1024

static struct {
	const char *name, *file;
	mml_test_fn fn;
} tests[MAX_TESTS];
static int ntests, cur_failed;
static char notes[2048];
static char tmpdir[256];

void mml_test_register(const char *name, mml_test_fn fn, const char *file)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		tests[ntests].file = file;
		ntests++;
	}
}

void mml_test_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (cur_failed++ < 10) {
		fprintf(stdout, "    %s:%d: ", file, line);
		vfprintf(stdout, fmt, ap);
		fputc('\n', stdout);
	}
	va_end(ap);
}

void mml_test_note(const char *fmt, ...)
{
	size_t k = strlen(notes);
	va_list ap;
	va_start(ap, fmt);
	if (k < sizeof notes - 4) {
		if (k)
			notes[k++] = ';', notes[k++] = ' ';
		vsnprintf(notes + k, sizeof notes - k, fmt, ap);
	}
	va_end(ap);
}

const char *mml_test_data(const char *rel)
{
	static char buf[4][1024];
	static int i;
	const char *root = getenv("MMLENS_DATA");
	char *b = buf[i++ & 3];
	snprintf(b, sizeof buf[0], "%s/%s", root && *root ? root : "../shared/data", rel);
	return b;
}

const char *mml_test_tmpdir(void) { return tmpdir; }

static void cleanup(void)
{
	if (tmpdir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

int main(int argc, char **argv)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/mmlens-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	atexit(cleanup);
	int passed = 0, failed = 0;
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		cur_failed = 0;
		notes[0] = 0;
		tests[i].fn();
		if (cur_failed) {
			failed++;
			printf("FAIL %s (%s)%s%s\n", tests[i].name, tests[i].file, notes[0] ? ": " : "", notes);
		} else {
			passed++;
			printf("ok   %s%s%s\n", tests[i].name, notes[0] ? ": " : "", notes);
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
