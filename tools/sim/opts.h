/*
 * tools/sim/opts.h - mmlens-sim's command line: the scenarios and the
 * options (opts.c parses them; main.c runs them).
 */
#ifndef MMLENS_SIM_OPTS_H
#define MMLENS_SIM_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"

enum { SC_STARTUP, SC_MESSAGING, SC_MINIPROGRAM, SC_ALL, SC_BENCH, SC_BENCH_HEAVY, SC_POST, SC_COMMENT, SC_IMAGE };

typedef struct sim_opts {
	const char *pcap, *keylog, *truth;
	bool pcapng;
	int scenario;
	bool location_on;
	uint64_t seed;
	int devices;
	uint64_t size;
	bool sparse;
	uint64_t idle_us;    /* --idle: one jump of the clock with every longlink open */
	sim_netcfg net;
} sim_opts;

/*
 * The command line into *o (defaults first). 0 to run; -1 when --help was
 * printed (exit 0); else the exit status of a bad command line (its
 * message printed).
 */
int sim_parse_opts(int argc, char **argv, sim_opts *o);

#endif
