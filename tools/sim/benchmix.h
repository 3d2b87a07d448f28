/*
 * tools/sim/benchmix.h - the `bench` scenario's message mix
 * (benchmix.c; docs/SIMULATOR.md, "The bench mix").
 */
#ifndef MMLENS_SIM_BENCHMIX_H
#define MMLENS_SIM_BENCHMIX_H

#include "net.h"
#include "sim.h"

enum { BX_SHORT, BX_LONG, BX_HEARTBEAT, BX_DNS };

typedef struct bench_ex {
	uint8_t what;  /* BX_* */
	sim_kind kind; /* shortlink / longlink body kind */
	uint8_t cls;   /* size class (bench_class) */
	uint8_t w;     /* weight: exchanges per 50 */
} bench_ex;

/* One exchange, drawn with the real capture's weights. */
const bench_ex *sim_bench_draw(sim_rng *rng);
/* The pool of bodies per size class (and each one's zlib form, and class); its size (0: out of memory). */
int sim_bench_pool(sim_rng *rng, const sim_device *d, bool location_on, uint64_t now_us, sim_body **pool,
                   mml_buf **poolz, uint8_t **poolcls);
/* The A and AAAA lookups of host before a connection, answered (UDP). */
void sim_bench_dns(sim_net *net, sim_rng *rng, const uint8_t client_ip[4], const char *host);

#endif
