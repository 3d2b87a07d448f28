/*
 * tools/sim/sim.h - mmlens-sim internals: deterministic RNG, device
 * profiles, message content with ground truth, and the writers.
 *
 * The simulator writes realistic WeChat traffic (pcap/pcapng), the key log
 * instrumentation would have recorded, and a ground-truth JSONL. Module
 * split: content*.c (what a message says) -> biz.c (business layer) ->
 * mmtlsw.c (records, handshakes) -> net.c (TCP/IP, pathologies) ->
 * pcapw.c (files, also the tests' capture writer). main.c drives the
 * scenario (its command line: opts.c), benchmix.c the bench mix.
 */
#ifndef MMLENS_SIM_H
#define MMLENS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mmlens/cursor.h"
#include "mmlens/util.h"

/* ---- deterministic RNG (splitmix64 seeded xoshiro256**) ---- */
typedef struct sim_rng {
	uint64_t s[4];
} sim_rng;

void sim_rng_seed(sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng *r);
/* uniform in [0, n) (n > 0) */
uint64_t sim_rng_below(sim_rng *r, uint64_t n);
/* uniform double in [0, 1) */
double sim_rng_unit(sim_rng *r);
void sim_rng_bytes(sim_rng *r, uint8_t *p, size_t n);

/* ---- a simulated phone and its user ---- */
typedef struct sim_device {
	uint32_t uin;              /* WeChat account number */
	char wxid[32];             /* "wxid_" + 14 lowercase alnum */
	char device_id[17];        /* "A" + 15 hex, the app's device id */
	char imei[16];             /* 15 digits, Luhn-valid */
	char android_id[17];       /* 16 hex */
	char mac[18];              /* "aa:bb:cc:dd:ee:ff" */
	char oaid[37];             /* UUID form */
	char model[32], brand[16], manufacturer[16];
	char os_version[16];       /* "14" */
	char build_fingerprint[128];
	char cpu_abi[16];
	int screen_w, screen_h;
	char carrier[32];          /* "T-Mobile" */
	char mccmnc[8];            /* "310260" */
	char apn[24];
	char ssid[33], bssid[18];
	char net_type[8];          /* "wifi" / "4g" / "5g" */
	uint8_t client_ip[4];      /* the phone's address */
	char lang[8], region[8], timezone[40];
	double home_lat, home_lon; /* the user's home, for location messages */
	char nickname[32];
	char phone[20];            /* E.164 */
	char email[48];
	uint32_t client_version;   /* e.g. 0x28001737 */
	char push_token[160];
} sim_device;

void sim_device_make(sim_rng *r, int index, sim_device *d);

/* ---- one message's content, with ground truth ---- */
#define SIM_MAX_TRUTH 96

typedef struct sim_truth {
	char category[32];   /* taxonomy id, e.g. "location.coordinates" */
	char path[96];       /* field path, e.g. "3.1" or "2.2:json.page_path" */
	char value[256];     /* the value as placed (text form) */
} sim_truth;

typedef enum sim_kind {
	SIM_K_AUTH,          /* secautoauth 763: hybrid GCM, device XML */
	SIM_K_GETCDNDNS,     /* 379 */
	SIM_K_BYPSYNC,       /* 3673 */
	SIM_K_NEWSYNC,       /* 138, longlink */
	SIM_K_STATUSNOTIFY,  /* 251 */
	SIM_K_CHECKRESUPDATE,/* 721 */
	SIM_K_FCMREG,        /* 216, push token */
	SIM_K_NETWORKINFO,   /* 6238, carrier/wifi */
	SIM_K_SENDMSG,       /* 522, message text */
	SIM_K_SEARCH,        /* Mini Program search query */
	SIM_K_MP_LAUNCH,     /* Mini Program launch: appid, page path */
	SIM_K_MP_REPORT,     /* Mini Program telemetry batch: JSON page views, CSV rows, URLs */
	SIM_K_LOCATION,      /* location report: float32 pairs (permission on) or placeholders (off) */
	SIM_K_TELEMETRY,     /* app telemetry: comma-separated, URL-encoded */
	SIM_K_SNSPOST,       /* 209 mmsnspost: a Moments post (text, images: URL, md5, media id; tagged friends) */
	SIM_K_SNSCOMMENT,    /* 213 mmsnscomment: a comment on a friend's post (text, the addressee's id and name) */
	SIM_K_UPLOADIMG,     /* 625 uploadmsgimg: an image sent to a contact (client image id, md5, CDN file id) */
	SIM_K__COUNT
} sim_kind;

typedef struct sim_body {
	sim_kind kind;
	uint32_t req_type;
	const char *api;     /* "/cgi-bin/micromsg-bin/..." */
	bool request;        /* request (true) or response body */
	bool compress;       /* the app would zlib this body */
	mml_buf pb;          /* the protobuf plaintext (before zlib) */
	int ntruth;
	sim_truth truth[SIM_MAX_TRUTH];
} sim_body;

typedef struct sim_ctx_info {
	bool location_on;    /* location permission granted */
	uint64_t ts_us;      /* message time (for timestamps inside bodies) */
	int seq;             /* message number within the session */
} sim_ctx_info;

void sim_body_init(sim_body *b);
void sim_body_free(sim_body *b);
/* Fill b (reset first) with the content of a `kind` request or response. */
void sim_content_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind kind, bool request,
                      sim_body *b);
const char *sim_kind_api(sim_kind k);
uint32_t sim_kind_reqtype(sim_kind k);

/*
 * The simulator's writers all append through mml_wbuf (cursor.h) and
 * check once: a failed write (out of memory, a buffer's cap) aborts the
 * process with `what` and the buffer's length, since a silently short
 * message would corrupt the simulated traffic and its ground truth.
 */
void sim_wcheck(const mml_wbuf *w, const char *what);

/* ---- protobuf writer (for content.c) ---- */
void pbw_varint(mml_buf *b, uint32_t field, uint64_t v);
void pbw_fixed32(mml_buf *b, uint32_t field, uint32_t v);
void pbw_float(mml_buf *b, uint32_t field, float v);
void pbw_double(mml_buf *b, uint32_t field, double v);
void pbw_bytes(mml_buf *b, uint32_t field, const void *p, size_t n);
void pbw_string(mml_buf *b, uint32_t field, const char *s);
/* Nested message: pbw_begin returns a mark, pbw_end writes the length. */
size_t pbw_begin(mml_buf *b, uint32_t field);
void pbw_end(mml_buf *b, size_t mark);

#endif
