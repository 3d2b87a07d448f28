/*
 * tools/sim/content_int.h - the simulator's content writers, private to
 * content.c, content_auth.c, content_mp.c, content_core.c and
 * content_util.c: text written straight into
 * a protobuf buffer with its escaping, ground-truth items, and the small
 * pieces every kind shares (BaseRequest, versions, friend ids).
 */
#ifndef MMLENS_SIM_CONTENT_INT_H
#define MMLENS_SIM_CONTENT_INT_H

#include "sim.h"

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
void sim_mp_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, bool request, sim_body *b);
/* content_auth.c: secautoauth */
void sim_auth_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b);
void sim_auth_response(sim_rng *r, const sim_device *d, sim_body *b);
/* content_core.c: Moments post, comment, image upload */
void sim_core_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, bool request, sim_body *b);

#endif
