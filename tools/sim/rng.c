/*
 * tools/sim/rng.c - the simulator's deterministic RNG.
 *
 * Contract: xoshiro256** (Blackman and Vigna) whose state is filled by
 * splitmix64 from the 64-bit seed. Only fixed-width unsigned arithmetic is
 * used, so a seed gives the same sequence on every platform and compiler.
 * sim_rng_below() has no modulo bias (rejection of the short last block);
 * sim_rng_unit() returns one of the 2^53 doubles k/2^53 in [0, 1);
 * sim_rng_bytes() takes each 64-bit output least significant byte first.
 * Not for cryptography: the simulated keys only need to look random.
 */
#include "sim.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void sim_rng_seed(sim_rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	/* splitmix64 is a bijection per step, so an all-zero state cannot
	 * happen for all four words; keep the guard for clarity anyway. */
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

uint64_t sim_rng_next(sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

uint64_t sim_rng_below(sim_rng *r, uint64_t n)
{
	if (n <= 1)
		return 0;
	/* 2^64 mod n: values below it belong to the incomplete last block. */
	uint64_t floor = (0 - n) % n;
	for (;;) {
		uint64_t x = sim_rng_next(r);
		if (x >= floor)
			return x % n;
	}
}

double sim_rng_unit(sim_rng *r) { return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53; }

void sim_rng_bytes(sim_rng *r, uint8_t *p, size_t n)
{
	while (n) {
		uint64_t x = sim_rng_next(r);
		size_t k = n < 8 ? n : 8;
		for (size_t i = 0; i < k; i++)
			p[i] = (uint8_t)(x >> (8 * i));
		p += k;
		n -= k;
	}
}
