/*
 * tools/sim/opts.c - mmlens-sim's command line (getopt_long): the options
 * of `mmlens-sim --help`, each checked against its range. Contract in
 * tools/sim/opts.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

static const char usage[] =
	"usage: mmlens-sim [options] --pcap FILE [--keylog FILE] [--truth FILE]\n"
	"\n"
	"Write simulated WeChat traffic: a capture, its key log and ground truth.\n"
	"\n"
	"  --pcap FILE          capture to write (classic pcap)\n"
	"  --pcapng             write pcapng instead\n"
	"  --keylog FILE        key log to write (the published JSON-lines format)\n"
	"  --keylog-sparse      log one OUTER line per key and direction only\n"
	"  --truth FILE         ground truth JSONL to write\n"
	"  --scenario NAME      startup | messaging | miniprogram | post | comment |\n"
	"                       image | all | bench | bench-heavy (default startup)\n"
	"  --location on|off    location permission (default off)\n"
	"  --seed N             random seed (default 1)\n"
	"  --devices N          phones at once, 1-1000 (default 1)\n"
	"  --size BYTES[K|M|G]  keep generating activity until the capture has this size\n"
	"  --mss N              TCP segment size, 64-9000 (default 1400)\n"
	"  --ooo P              probability a segment arrives out of order (0-1)\n"
	"  --retrans P          probability a segment is retransmitted (0-1)\n"
	"  --loss P             probability the capture misses a segment (0-1)\n"
	"  --idle SECONDS       once, nothing is sent for this long while the longlinks\n"
	"                       stay open (a phone in the background), 1-86400\n"
	"  --ipv6               IPv6 addresses\n"
	"  --vlan               802.1Q-tagged frames\n"
	"  -h, --help           this help\n";

static int bad(const char *what)
{
	fprintf(stderr, "mmlens-sim: %s\n(see mmlens-sim --help)\n", what);
	return 1;
}

static int parse_prob(const char *s, double *out)
{
	char *e;
	double v = strtod(s, &e);
	if (*e || !(v >= 0 && v <= 1))
		return -1;
	*out = v;
	return 0;
}

int sim_parse_opts(int argc, char **argv, sim_opts *o)
{
	static const struct option lo[] = {
		{"pcap", 1, 0, 'p'},    {"pcapng", 0, 0, 'N'},  {"keylog", 1, 0, 'k'}, {"keylog-sparse", 0, 0, 'S'},
		{"truth", 1, 0, 't'},   {"scenario", 1, 0, 's'}, {"location", 1, 0, 'l'}, {"seed", 1, 0, 'r'},
		{"devices", 1, 0, 'd'}, {"size", 1, 0, 'z'},    {"mss", 1, 0, 'm'},    {"ooo", 1, 0, 'o'},
		{"retrans", 1, 0, 'R'}, {"loss", 1, 0, 'L'},    {"ipv6", 0, 0, '6'},   {"vlan", 0, 0, 'V'},
		{"idle", 1, 0, 'I'},    {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
	memset(o, 0, sizeof *o);
	o->seed = 1;
	o->devices = 1;
	o->net.mss = 1400;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *e;
		switch (c) {
		case 'p': o->pcap = optarg; break;
		case 'N': o->pcapng = true; break;
		case 'k': o->keylog = optarg; break;
		case 'S': o->sparse = true; break;
		case 't': o->truth = optarg; break;
		case 's': {
			static const char *const names[] = {[SC_STARTUP] = "startup", [SC_MESSAGING] = "messaging",
			                                    [SC_MINIPROGRAM] = "miniprogram", [SC_ALL] = "all",
			                                    [SC_BENCH] = "bench", [SC_BENCH_HEAVY] = "bench-heavy",
			                                    [SC_POST] = "post", [SC_COMMENT] = "comment", [SC_IMAGE] = "image"};
			for (o->scenario = 0; o->scenario < (int)(sizeof names / sizeof *names); o->scenario++)
				if (!strcmp(optarg, names[o->scenario]))
					break;
			if (o->scenario == (int)(sizeof names / sizeof *names))
				return bad("--scenario must be startup, messaging, miniprogram, post, comment, image, all, bench "
				           "or bench-heavy");
			break;
		}
		case 'l':
			if (!strcmp(optarg, "on")) o->location_on = true;
			else if (!strcmp(optarg, "off")) o->location_on = false;
			else return bad("--location must be on or off");
			break;
		case 'r':
			o->seed = strtoull(optarg, &e, 10);
			if (*e || !*optarg) return bad("--seed wants a number");
			break;
		case 'd': {
			long v = strtol(optarg, &e, 10);
			if (*e || v < 1 || v > 1000) return bad("--devices wants 1 to 1000");
			o->devices = (int)v;
			break;
		}
		case 'z': {
			double v = strtod(optarg, &e);
			double mul = *e == 'K' || *e == 'k' ? 1024.0 : *e == 'M' || *e == 'm' ? 1048576.0
			           : *e == 'G' || *e == 'g' ? 1073741824.0 : 1.0;
			if (mul != 1.0)
				e++;
			if (*e || !(v > 0) || v * mul > 1e14) return bad("--size wants a positive byte count (K, M, G allowed)");
			o->size = (uint64_t)(v * mul);
			break;
		}
		case 'm': {
			long v = strtol(optarg, &e, 10);
			if (*e || v < 64 || v > 9000) return bad("--mss wants 64 to 9000");
			o->net.mss = (int)v;
			break;
		}
		case 'o': if (parse_prob(optarg, &o->net.p_ooo)) return bad("--ooo wants a probability 0-1"); break;
		case 'R': if (parse_prob(optarg, &o->net.p_retrans)) return bad("--retrans wants a probability 0-1"); break;
		case 'L': if (parse_prob(optarg, &o->net.p_loss)) return bad("--loss wants a probability 0-1"); break;
		case 'I': {
			long v = strtol(optarg, &e, 10);
			if (*e || v < 1 || v > 86400) return bad("--idle wants 1 to 86400 seconds");
			o->idle_us = (uint64_t)v * 1000000u;
			break;
		}
		case '6': o->net.ipv6 = true; break;
		case 'V': o->net.vlan = true; break;
		case 'h': fputs(usage, stdout); return -1;
		default: return bad("unknown or incomplete option");
		}
	}
	if (optind != argc)
		return bad("unexpected argument");
	if (!o->pcap)
		return bad("--pcap FILE is required");
	return 0;
}
