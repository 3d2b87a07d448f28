/*
 * tools/sim/content_int.h - the simulator's content writers, private to
 * content.c, content_auth.c, content_mp.c, content_kv.c, content_core.c
 * and content_util.c: text written straight into
 * a protobuf buffer with its escaping, ground-truth items, and the small
 * pieces every kind shares (BaseRequest, versions, friend ids).
 */
#ifndef MMLENS_SIM_CONTENT_INT_H
#define MMLENS_SIM_CONTENT_INT_H

#include "sim.h"

static inline const char *simc_pick(sim_rng *r, const char *const *tab, size_t n)
{
	return tab[sim_rng_below(r, n)];
}
#define PICK(r, tab) simc_pick((r), (tab), sizeof(tab) / sizeof((tab)[0]))
static inline uint64_t simc_ts_ms(const sim_ctx_info *ci) { return ci->ts_us / 1000; }
static inline uint64_t simc_ts_s(const sim_ctx_info *ci) { return ci->ts_us / 1000000; }

void simc_put(mml_buf *o, const void *p, size_t n);
void simc_puts(mml_buf *o, const char *s);
void simc_putu(mml_buf *o, uint64_t v);
void simc_putf6(mml_buf *o, double v);
void simc_puturl(mml_buf *o, const char *s);
void simc_putjson(mml_buf *o, const char *s);
void simc_putxml(mml_buf *o, const char *s);
void simc_truth(sim_body *b, const char *cat, const char *value, const char *pathfmt, ...)
	__attribute__((format(printf, 4, 5)));
void simc_truthu(sim_body *b, const char *cat, uint64_t value, const char *pathfmt, ...)
	__attribute__((format(printf, 4, 5)));
bool simc_room(const sim_body *b, int n);
void simc_basereq(sim_body *b, const sim_device *d, uint32_t field, uint32_t scene, const char *path);
void simc_baseresp(sim_body *b);
/* n random bytes at field; {1: n, 2: n random bytes} (the app's length-prefixed buffers) */
void simc_rbytes(sim_rng *r, mml_buf *o, uint32_t field, size_t n);
void simc_keybuf(sim_rng *r, mml_buf *o, uint32_t field, size_t n);
void simc_hex(sim_rng *r, char *o, int n);
void simc_version(char *o, size_t n, uint32_t client_version, bool with_build);
void simc_friend(const sim_device *d, uint64_t k, char out[32]);
uint64_t simc_hash(uint64_t a, uint64_t b);
const char *sim_device_city(const sim_device *d);
/* "" when a field occurs once in its parent, "[i]" otherwise (in buf) */
const char *simc_rep(char buf[16], int i, int n);
/* A comma-separated row: fields URL-encoded (col) or decimal (colu). */
typedef struct simc_row {
	mml_buf *o;
	int col;
} simc_row;
void simc_col(simc_row *w, const char *text);
void simc_colu(simc_row *w, uint64_t v);
/* One kv item {1: logid, 2: <row>, 3: ts, 4: ts, 5: 1, 6: 0} at field:
 * item_begin returns its mark and the row's (*rowmark); item_end closes both. */
size_t simc_item_begin(mml_buf *o, uint32_t field, uint32_t logid, size_t *rowmark);
void simc_item_end(mml_buf *o, size_t m, size_t rowmark, const sim_ctx_info *ci);
void sim_mp_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, bool request, sim_body *b);
/* content_kv.c: the location config request, the kv telemetry report */
void sim_location_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b);
void sim_telemetry_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b);
/* content_auth.c: secautoauth */
void sim_auth_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b);
void sim_auth_response(sim_rng *r, const sim_device *d, sim_body *b);
/* content_core.c: Moments post, comment, image upload */
void sim_core_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, bool request, sim_body *b);

#endif
