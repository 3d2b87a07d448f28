/*
 * tests/test.h - a minimal test harness: TEST() registers a function,
 * CHECK*() record failures with file:line and carry on. Runner: main.c.
 */
#ifndef MMLENS_TEST_H
#define MMLENS_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef void (*mml_test_fn)(void);
void mml_test_register(const char *name, mml_test_fn fn, const char *file);
void mml_test_fail(const char *file, int line, const char *fmt, ...);
/* Path of a file under the shared real data folder (../shared/data by
 * default, $MMLENS_DATA to override). Static buffer, one at a time x4. */
const char *mml_test_data(const char *rel);
/* A fresh temp directory for this test run (removed at exit). */
const char *mml_test_tmpdir(void);
/* Note a measured figure; printed with the test's result. */
void mml_test_note(const char *fmt, ...);

#define TEST(name)                                                             \
	static void name(void);                                                    \
	__attribute__((constructor)) static void mml_reg_##name(void)              \
	{                                                                          \
		mml_test_register(#name, name, __FILE__);                              \
	}                                                                          \
	static void name(void)

#define CHECK(cond)                                                            \
	do {                                                                       \
		if (!(cond))                                                           \
			mml_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);             \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                       \
		uint64_t mml__a = (uint64_t)(a), mml__b = (uint64_t)(b);               \
		if (mml__a != mml__b)                                                  \
			mml_test_fail(__FILE__, __LINE__, "%s == %" PRIu64 ", expected %s == %" PRIu64, #a, mml__a, #b, mml__b); \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                       \
		const char *mml__a = (a), *mml__b = (b);                               \
		if (!mml__a || !mml__b || strcmp(mml__a, mml__b))                      \
			mml_test_fail(__FILE__, __LINE__, "%s is \"%s\", expected \"%s\"", #a, mml__a ? mml__a : "(null)", mml__b ? mml__b : "(null)"); \
	} while (0)

/* Stop this test when a precondition fails. */
#define REQUIRE(cond)                                                          \
	do {                                                                       \
		if (!(cond)) {                                                         \
			mml_test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);           \
			return;                                                            \
		}                                                                      \
	} while (0)

#endif
