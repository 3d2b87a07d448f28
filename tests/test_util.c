/* test_util.c - the base layer: hex output (SSE2 and scalar paths), hex dumps. */
#include <stdlib.h>
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
		want[0] = '"';
		mml_hex_encode(buf, n, want + 1);
		strcat(want, "\"");
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
