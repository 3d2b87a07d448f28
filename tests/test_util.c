/* test_util.c - the base layer: hex output (SSE2 and scalar paths), hex dumps,
 * the error trace, the grow helper, hex digits and the zlib check. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>

#include "mmlens/util.h"
#include "test.h"
#include "util.h"

TEST(util_json_hex_matches_scalar_for_every_length)
{
	uint8_t buf[300];
	for (int i = 0; i < 300; i++)
		buf[i] = (uint8_t)(i * 37 + 11);
	int bad = 0;
	for (size_t n = 0; n <= 300; n++) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		REQUIRE(f);
		mml_json_hex(f, buf, n);
		fclose(f);
		char *want = malloc(2 * n + 3);
		if (!want)
			free(out);
		REQUIRE(want);
		want[0] = '"';
		mml_hex_encode(buf, n, want + 1);
		memcpy(want + 1 + 2 * n, "\"", 2);
		bad += len != 2 * n + 2 || strcmp(out, want);
		free(out);
		free(want);
	}
	CHECK_EQ(bad, 0);
}

TEST(util_hexdump_formats)
{
	const char *forms[] = {"0a0b0c\n", "0a 0b 0c\n", "00000000: 0A 0B 0C                 ...\n", "0000  0A 0B 0C  ...\n"};
	for (size_t i = 0; i < 4; i++) {
		mml_buf b;
		mml_buf_init(&b, 0);
		CHECK(mml_hexdump_decode(forms[i], strlen(forms[i]), &b) == MML_OK);
		CHECK(b.len == 3 && b.p[0] == 0x0a && b.p[2] == 0x0c);
		mml_buf_free(&b);
	}
}

/* ---- the error trace (err.h) ---- */

static mml_err traced_fails(int k)
{
	MML_RETURN_IF(k == 1, MML_E_MALFORMED);
	MML_RETURN_IF(k == 2, MML_E_INCOMPLETE);
	return MML_OK;
}

static mml_err traced_outer(int k)
{
	MML_RETURN_IF_ERR(traced_fails(k));
	return MML_OK;
}

/* What a child with MMLENS_TRACE=value prints on stderr calling traced_outer(k). */
static void trace_of(const char *value, int k, char *out, size_t cap)
{
	int fd[2];
	out[0] = 0;
	if (pipe(fd))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		if (value)
			setenv("MMLENS_TRACE", value, 1);
		else
			unsetenv("MMLENS_TRACE");
		mml_trace_level = -1;
		(void)traced_outer(k);
		_exit(0);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < cap && (r = read(fd[0], out + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fd[0]);
	waitpid(pid, NULL, 0);
}

TEST(util_trace_names_file_and_line)
{
	char buf[1024];
	trace_of("1", 1, buf, sizeof buf);
	CHECK(strstr(buf, "mmlens: trace: tests/test_util.c:") != NULL);
	CHECK(strstr(buf, ": malformed\n") != NULL);
	/* the failing check and each caller that passed it on: two lines */
	int lines = 0;
	for (const char *p = buf; (p = strchr(p, '\n')); p++)
		lines++;
	CHECK_EQ(lines, 2);
	trace_of(NULL, 1, buf, sizeof buf);
	CHECK_STR(buf, "");
	trace_of("0", 1, buf, sizeof buf);
	CHECK_STR(buf, "");
	/* "more bytes" is not a failure: traced only with MMLENS_TRACE=all */
	trace_of("1", 2, buf, sizeof buf);
	CHECK_STR(buf, "");
	trace_of("all", 2, buf, sizeof buf);
	CHECK(strstr(buf, ": incomplete\n") != NULL);
	CHECK_STR(mml_strerror(MML_E_END), "end");
}

TEST(util_grow_doubles_and_refuses_overflow)
{
	int *v = NULL;
	size_t cap = 0;
	CHECK(mml_grow((void **)&v, &cap, 1, sizeof *v, 4));
	CHECK_EQ(cap, 4);
	CHECK(mml_grow((void **)&v, &cap, 9, sizeof *v, 4));
	CHECK_EQ(cap, 16);
	v[15] = 7;
	CHECK(mml_grow((void **)&v, &cap, 3, sizeof *v, 4)); /* no shrink */
	CHECK_EQ(cap, 16);
	CHECK(!mml_grow((void **)&v, &cap, SIZE_MAX / 2, sizeof *v, 4));
	CHECK_EQ(cap, 16);
	CHECK_EQ(v[15], 7);
	free(v);
}

TEST(util_hex_digit_and_zlib_magic)
{
	int ok = 0;
	for (int c = 0; c < 256; c++) {
		int d = mml_hex_digit(c);
		const char *hex = "0123456789abcdef", *HEX = "0123456789ABCDEF";
		int want = -1;
		for (int i = 0; i < 16; i++)
			if (c && (c == hex[i] || c == HEX[i]))
				want = i;
		ok += d == want;
	}
	CHECK_EQ(ok, 256);
	const uint8_t z1[] = {0x78, 0x9c}, z2[] = {0x78, 0x01}, z3[] = {0x78, 0xda}, z4[] = {0x48, 0x89};
	const uint8_t no1[] = {0x78, 0x9d}, no2[] = {0x78, 0xbb} /* FDICT */, no3[] = {0x88, 0x1c} /* CINFO 8 */;
	CHECK(mml_zlib_magic(z1, 2) && mml_zlib_magic(z2, 2) && mml_zlib_magic(z3, 2) && mml_zlib_magic(z4, 2));
	CHECK(!mml_zlib_magic(no1, 2) && !mml_zlib_magic(no2, 2) && !mml_zlib_magic(no3, 2));
	CHECK(!mml_zlib_magic(z1, 1));
}
