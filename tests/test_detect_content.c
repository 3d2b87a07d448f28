/*
 * tests/test_detect_content.c - the detectors of what people write and
 * send (content.message, content.post, content.comment, content.media)
 * and of whom it addresses (contacts.addressee), and two precision fixes:
 *  1. the simulator's core-feature scenarios (messaging, post, comment,
 *     image): precision and recall 1.000 in every category, each of the
 *     five above seen;
 *  2. built bodies, one per detector, with the real requests' structure
 *     (the published log's lines 751, 477, 1090, 382 of
 *     login_permissions_on_1, which tests may not read), and negatives:
 *     the same field numbers in an unrelated request type find nothing;
 *  3. kv row layouts (a carrier name and an SSID in delimited telemetry,
 *     found by the row's log id and column, not by their value) and the
 *     media file next to its MIME type;
 *  4. a search query next to the user's position is no place;
 *  5. the shared real log (lines 1-304 of the collection): the kv rows
 *     whose Wi-Fi cell is empty give nothing, the Moments image's CDN path
 *     in the kv batch (line 245) is content.media, no place anywhere.
 * Bodies are built with the simulator's protobuf writer (tools/sim/pbw.c).
 */
#include <stdlib.h>
#include <string.h>

#include "../tools/sim/sim.h"
#include "mmlens/crypto.h"
#include "mmlens/decode.h"
#include "mmlens/detect.h"
#include "mmlens/envelope.h"
#include "test.h"
#include "util.h"

/* ---- findings of one body ---- */

typedef struct cf {
	char cat[40], det[32], path[MML_PATH_MAX], value[256];
} cf;

#define CF_MAX 1024
typedef struct cfs {
	cf f[CF_MAX];
	int n;
} cfs;

static void on_find(void *ctx, const mml_finding *f)
{
	cfs *c = ctx;
	if (c->n >= CF_MAX)
		return;
	cf *x = &c->f[c->n++];
	snprintf(x->cat, sizeof x->cat, "%s", f->category);
	snprintf(x->det, sizeof x->det, "%s", f->detector);
	snprintf(x->path, sizeof x->path, "%s", f->path);
	snprintf(x->value, sizeof x->value, "%.*s", (int)(f->value_len < 255 ? f->value_len : 255), f->value);
}

typedef struct det {
	mml_detect *d;
	mml_detect_scratch *s;
	mml_dtree t;
} det;

static bool det_init(det *x)
{
	char err[256] = "";
	mml_detect_cfg *c = mml_detect_cfg_new();
	x->d = mml_detect_new(c, err, sizeof err);
	mml_detect_cfg_free(c);
	if (!x->d) {
		mml_test_fail(__FILE__, __LINE__, "mml_detect_new: %s", err);
		return false;
	}
	x->s = mml_detect_scratch_new(x->d);
	mml_dtree_init(&x->t, NULL);
	return x->s != NULL;
}

static void det_free(det *x)
{
	mml_detect_scratch_free(x->s);
	mml_detect_free(x->d);
	mml_dtree_free(&x->t);
}

static void run(det *x, const uint8_t *p, size_t n, int64_t req_type, const char *api, bool request, cfs *c)
{
	static const uint8_t empty[1];
	c->n = 0;
	mml_decode_body(&x->t, p ? p : empty, p ? n : 0);
	mml_detect_msg m = {.req_type = req_type, .api = api, .request = request};
	mml_detect_run(x->d, x->s, &x->t, &m, on_find, c);
}

static const cf *get(const cfs *c, const char *cat, const char *path)
{
	for (int i = 0; i < c->n; i++)
		if ((!cat || !strcmp(c->f[i].cat, cat)) && (!path || !strcmp(c->f[i].path, path)))
			return &c->f[i];
	return NULL;
}

static bool has(const cfs *c, const char *cat, const char *path, const char *value)
{
	const cf *f = get(c, cat, path);
	return f && (!value || !strcmp(f->value, value));
}

/* how many findings of cat (or of a category under the prefix cat.) */
static int count(const cfs *c, const char *cat)
{
	int n = 0;
	size_t l = strlen(cat);
	for (int i = 0; i < c->n; i++)
		n += !strncmp(c->f[i].cat, cat, l) && (!c->f[i].cat[l] || c->f[i].cat[l] == '.');
	return n;
}

static void dump(const cfs *c, const char *what)
{
	printf("    %s: %d findings\n", what, c->n);
	for (int i = 0; i < c->n; i++)
		printf("      %s %s %s = '%.70s'\n", c->f[i].det, c->f[i].cat, c->f[i].path, c->f[i].value);
}

/* ---- bodies (tools/sim/pbw.c) ---- */

static void basereq(mml_buf *o)
{
	size_t m = pbw_begin(o, 1);
	pbw_bytes(o, 1, "", 1);
	pbw_varint(o, 2, 1505495844);
	pbw_string(o, 3, "A9543d226cb39f0");
	pbw_varint(o, 4, 671094583);
	pbw_string(o, 5, "android-32");
	pbw_varint(o, 6, 0);
	pbw_end(o, m);
}

#define ME "wxid_26p3vbxxl9tu22"
#define FRIEND "wxid_k2m4p6r8t0v2x4"

/* newsendmsg (log 751): {1: 1, 2: {1: {1: to}, 2: text, 3: 1, 4: time, 5: client msg id}} */
static void sendmsg_body(mml_buf *o, const char *to, const char *text)
{
	mml_buf_reset(o);
	pbw_varint(o, 1, 1);
	size_t m = pbw_begin(o, 2);
	size_t t = pbw_begin(o, 1);
	pbw_string(o, 1, to);
	pbw_end(o, t);
	pbw_string(o, 2, text);
	pbw_varint(o, 3, 1);
	pbw_varint(o, 4, 1681397601);
	pbw_varint(o, 5, 474693490);
	pbw_end(o, m);
}

TEST(detect_content_sendmsg)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	mml_buf o;
	mml_buf_init(&o, 0);
	sendmsg_body(&o, FRIEND, "Are we still on for dinner tonight?");
	run(&x, o.p, o.len, 522, "/cgi-bin/micromsg-bin/newsendmsg", true, &c);
	CHECK(has(&c, "contacts.addressee", "2.1.1", FRIEND));
	CHECK(has(&c, "content.message", "2.2", "Are we still on for dinner tonight?"));
	CHECK(!get(&c, "identity.account", "2.1.1")); /* a layout claims the wxid: not the account */
	/* by the API path alone (the catalog names it), and by the request type alone */
	run(&x, o.p, o.len, -1, "/cgi-bin/micromsg-bin/newsendmsg", true, &c);
	CHECK(has(&c, "content.message", "2.2", NULL));
	run(&x, o.p, o.len, 522, NULL, true, &c);
	CHECK(has(&c, "contacts.addressee", "2.1.1", NULL));
	/* the same field numbers elsewhere are no message: an unknown request, another API */
	run(&x, o.p, o.len, -1, NULL, true, &c);
	CHECK_EQ(count(&c, "content"), 0);
	CHECK_EQ(count(&c, "contacts.addressee"), 0);
	run(&x, o.p, o.len, 6611, "/cgi-bin/micromsg-bin/something", true, &c);
	CHECK_EQ(count(&c, "content"), 0);
	CHECK_EQ(count(&c, "contacts.addressee"), 0);
	/* a chat room and a system account as recipients */
	sendmsg_body(&o, "12345678901@chatroom", "hi all");
	run(&x, o.p, o.len, 522, NULL, true, &c);
	CHECK(has(&c, "contacts.addressee", "2.1.1", "12345678901@chatroom"));
	sendmsg_body(&o, "filehelper", "note to self");
	run(&x, o.p, o.len, 522, NULL, true, &c);
	CHECK(!get(&c, "contacts.addressee", NULL));
	CHECK(has(&c, "content.message", "2.2", "note to self"));
	mml_buf_free(&o);
	det_free(&x);
}

/* newsync's AddMsg: the text of a received message is content.message, its envelope of an image is not */
TEST(detect_content_received_message_and_its_media)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	mml_buf o;
	mml_buf_init(&o, 0);
	static const char *const contents[2] = {
		"Running 10 min late, sorry!",
		"<?xml version=\"1.0\"?><msg><img aeskey=\"5f0e1d2c3b4a59687766554433221100\" encryver=\"1\" "
		"cdnthumburl=\"3057020100044b304902010002043b0d44d402032f7793020434b8206f020467b6b524042439623531\" "
		"length=\"81234\" md5=\"9e107d9d372bb6826bd81d3542a419d6\" "
		"cdnmidimgurl=\"3057020100044b304902010002043b0d44d402032f7793020434b8206f020467b6b5240424396235ff\" />"
		"</msg>",
	};
	for (int k = 0; k < 2; k++) {
		mml_buf_reset(&o);
		pbw_varint(&o, 1, 0);
		size_t cl = pbw_begin(&o, 2);
		pbw_varint(&o, 1, 1);
		size_t it = pbw_begin(&o, 2);
		pbw_varint(&o, 1, 5);
		size_t kb = pbw_begin(&o, 2);
		size_t am = pbw_begin(&o, 2);
		pbw_varint(&o, 1, 77);
		size_t f = pbw_begin(&o, 2);
		pbw_string(&o, 1, FRIEND);
		pbw_end(&o, f);
		size_t t = pbw_begin(&o, 3);
		pbw_string(&o, 1, ME);
		pbw_end(&o, t);
		pbw_varint(&o, 4, k ? 3 : 1);
		size_t ct = pbw_begin(&o, 5);
		pbw_string(&o, 1, contents[k]);
		pbw_end(&o, ct);
		pbw_end(&o, am);
		pbw_end(&o, kb);
		pbw_end(&o, it);
		pbw_end(&o, cl);
		run(&x, o.p, o.len, 138, "/cgi-bin/micromsg-bin/newsync", false, &c);
		CHECK(has(&c, "contacts", "2.2.2.2.2.1", FRIEND));
		CHECK(has(&c, "identity.account", "2.2.2.2.3.1", ME));
		if (!k) {
			CHECK(has(&c, "content.message", "2.2.2.2.5.1", contents[0]));
			CHECK_EQ(count(&c, "content.media"), 0);
		} else {
			CHECK(!get(&c, "content.message", NULL));
			CHECK(has(&c, "content.media", "2.2.2.2.5.1:xml.msg.img@md5", "9e107d9d372bb6826bd81d3542a419d6"));
			CHECK(get(&c, "content.media", "2.2.2.2.5.1:xml.msg.img@cdnmidimgurl"));
			CHECK(get(&c, "content.media", "2.2.2.2.5.1:xml.msg.img@cdnthumburl"));
			CHECK(!get(&c, NULL, "2.2.2.2.5.1:xml.msg.img@aeskey"));
		}
	}
	mml_buf_free(&o);
	det_free(&x);
}

/* The TimelineObject XML of log 477, shortened; desc may be NULL (no contentDesc). */
static void timeline(char *o, size_t n, const char *root, const char *desc, const char *media_id)
{
	snprintf(o, n,
	         "<%s><id><![CDATA[0]]></id><username><![CDATA[" ME "]]></username><createTime><![CDATA[0]]></createTime>"
	         "<contentDesc><![CDATA[%s]]></contentDesc><ContentObject><contentStyle><![CDATA[1]]></contentStyle>"
	         "<mediaList><media><id><![CDATA[%s]]></id><type><![CDATA[2]]></type><url type=\"1\"  "
	         "md5=\"a462a3481a27ca07174a9c30b719d808\" ><![CDATA[http://mmsns.c2c.wechat.com/mmsns/"
	         "d6nqOnYxo8WsSI0w16k1x5FCAS0L7yaB3xnmV8hg22B6LlEL82mAKkINiaiaT6JEW7OHmP479so6g/0]]></url><thumb type=\"1\" >"
	         "<![CDATA[http://mmsns.c2c.wechat.com/mmsns/d6nqOnYxo8WsSI0w16k1x5FCAS0L7yaB3xnmV8hg22B6LlEL82mAKkINiaiaT6JE"
	         "W7OHmP479so6g/150]]></thumb></media></mediaList></ContentObject></%s>",
	         root, desc ? desc : "", media_id, root);
}

static void post_body(mml_buf *o, const char *xml, const char *with)
{
	mml_buf_reset(o);
	basereq(o);
	size_t m = pbw_begin(o, 2);
	pbw_varint(o, 1, strlen(xml));
	pbw_string(o, 2, xml);
	pbw_end(o, m);
	pbw_varint(o, 3, with ? 1 : 0);
	if (with) {
		size_t w = pbw_begin(o, 4);
		pbw_string(o, 1, with);
		pbw_end(o, w);
	}
	pbw_varint(o, 5, 0);
	pbw_string(o, 7, "c5d8e58c5acabde1be5611307033085f");
	pbw_varint(o, 11, 11);
	pbw_string(o, 22, "prePublishId=&preUserName=&preChatName=&preChatType=0&getA8KeyScene=0&sourceAppId=null");
}

#define TL ":xml.TimelineObject.ContentObject.mediaList.media."

TEST(detect_content_moments_post)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	static char xml[2048];
	mml_buf o;
	mml_buf_init(&o, 0);
	timeline(xml, sizeof xml, "TimelineObject", "Sunset at the beach tonight", "0");
	post_body(&o, xml, FRIEND);
	run(&x, o.p, o.len, 209, NULL, true, &c);
	CHECK(has(&c, "content.post", "2.2:xml.TimelineObject.contentDesc", "Sunset at the beach tonight"));
	CHECK(has(&c, "content.media", "2.2" TL "url@md5", "a462a3481a27ca07174a9c30b719d808"));
	CHECK(get(&c, "content.media", "2.2" TL "url") && get(&c, "content.media", "2.2" TL "thumb"));
	CHECK(!get(&c, "content.media", "2.2" TL "id")); /* "0": the server has not named it yet */
	CHECK(has(&c, "contacts.addressee", "4.1", FRIEND));
	CHECK(has(&c, "identity.account", "2.2:xml.TimelineObject.username", ME));
	CHECK(!get(&c, NULL, "7")); /* the client id is the app's id of the post */
	CHECK_EQ(count(&c, "content.media"), 3);
	/* a server's media id is the file's id; the XML anywhere (a response's SnsObject) is read alike */
	timeline(xml, sizeof xml, "TimelineObject", "Sunset at the beach tonight", "13912345678901234567");
	post_body(&o, xml, NULL);
	run(&x, o.p, o.len, 212, "/cgi-bin/micromsg-bin/mmsnsuserpage", false, &c);
	CHECK(has(&c, "content.media", "2.2" TL "id", "13912345678901234567"));
	CHECK(has(&c, "content.post", "2.2:xml.TimelineObject.contentDesc", NULL));
	/* negatives: the same XML under another root, and the post's field numbers in another request */
	timeline(xml, sizeof xml, "OtherObject", "Sunset at the beach tonight", "13912345678901234567");
	post_body(&o, xml, FRIEND);
	run(&x, o.p, o.len, 209, NULL, true, &c);
	CHECK_EQ(count(&c, "content"), 0);
	run(&x, o.p, o.len, 6611, NULL, true, &c);
	CHECK_EQ(count(&c, "content"), 0);
	CHECK_EQ(count(&c, "contacts.addressee"), 0);
	mml_buf_free(&o);
	det_free(&x);
}

/* mmsnscomment (log 1090): {1: BaseRequest, 2: {1: post id, 2: 0, 3: SnsAction, 4: SnsAction}, 3: client id};
 * SnsAction {1: from, 2: to, 3: from nickname, 4: to nickname, 5: type, 7: time, 8: text} */
static void action(mml_buf *o, uint32_t field, const char *from, const char *to, const char *fn, const char *tn,
                   const char *text)
{
	size_t m = pbw_begin(o, field);
	if (from) {
		pbw_string(o, 1, from);
		pbw_string(o, 2, to);
		pbw_string(o, 3, fn);
		pbw_string(o, 4, tn);
		pbw_varint(o, 5, 2);
		pbw_varint(o, 7, 1681363072);
		pbw_string(o, 8, text);
	} else {
		pbw_string(o, 1, "");
		pbw_varint(o, 5, 0);
	}
	pbw_varint(o, 9, 0);
	pbw_end(o, m);
}

#define OTHER "wxid_q1w2e3r4t5y6u7"

static void comment_body(mml_buf *o, bool reply)
{
	mml_buf_reset(o);
	basereq(o);
	size_t g = pbw_begin(o, 2);
	pbw_varint(o, 1, 14064210597655187783ull);
	pbw_varint(o, 2, 0);
	if (!reply) { /* on FRIEND's post */
		action(o, 3, ME, FRIEND, "Jamie Doe", "Lena Xu", "Looks amazing!");
		action(o, 4, NULL, NULL, NULL, NULL, NULL);
	} else { /* answering OTHER's comment on FRIEND's post */
		action(o, 3, ME, OTHER, "Jamie Doe", "Olivia Brown", "Looks amazing!");
		action(o, 4, OTHER, FRIEND, "Olivia Brown", "Lena Xu", "Where is this?");
	}
	pbw_end(o, g);
	pbw_string(o, 3, "fa87a09ee2f25e93f2b0b5764e39bf9a");
}

TEST(detect_content_comment)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	mml_buf o;
	mml_buf_init(&o, 0);
	comment_body(&o, false);
	run(&x, o.p, o.len, 213, NULL, true, &c);
	CHECK(has(&c, "content.comment", "2.3.8", "Looks amazing!"));
	CHECK(has(&c, "contacts.addressee", "2.3.2", FRIEND));
	CHECK(has(&c, "contacts.addressee", "2.3.4", "Lena Xu"));
	CHECK(has(&c, "identity.account", "2.3.1", ME));
	CHECK(has(&c, "profile.name", "2.3.3", "Jamie Doe"));
	CHECK(!get(&c, NULL, "2.1") && !get(&c, NULL, "3")); /* the post's id, the client id */
	CHECK_EQ(count(&c, "content"), 1);
	/* a reply: the comment answered (2.4) is the addressee's, its post's author a contact */
	comment_body(&o, true);
	run(&x, o.p, o.len, 213, "/cgi-bin/micromsg-bin/mmsnscomment", true, &c);
	CHECK(has(&c, "contacts.addressee", "2.3.2", OTHER));
	CHECK(has(&c, "contacts.addressee", "2.3.4", "Olivia Brown"));
	CHECK(has(&c, "contacts.addressee", "2.4.1", OTHER));
	CHECK(has(&c, "contacts.addressee", "2.4.3", "Olivia Brown"));
	CHECK(has(&c, "content.comment", "2.4.8", "Where is this?"));
	CHECK(has(&c, "contacts", "2.4.2", FRIEND));
	CHECK(has(&c, "contacts", "2.4.4", "Lena Xu"));
	/* negatives: the same body as mmsnsuserpage (212) or as a response of 213: no comment, no addressee */
	run(&x, o.p, o.len, 212, "/cgi-bin/micromsg-bin/mmsnsuserpage", true, &c);
	CHECK_EQ(count(&c, "content"), 0);
	CHECK_EQ(count(&c, "contacts.addressee"), 0);
	CHECK(!get(&c, "profile.name", NULL));
	run(&x, o.p, o.len, 213, NULL, false, &c);
	CHECK_EQ(count(&c, "content.comment"), 0);
	mml_buf_free(&o);
	det_free(&x);
}

/* uploadmsgimg as logged (log 382) */
static void upload_body(mml_buf *o, const char *id, const char *md5)
{
	mml_buf_reset(o);
	pbw_string(o, 1, id);
	pbw_string(o, 2, ME);
	pbw_string(o, 3, FRIEND);
	pbw_varint(o, 4, 114);
	pbw_varint(o, 5, 120);
	pbw_string(o, 6, "");
	pbw_varint(o, 8, 0);
	pbw_float(o, 9, 0);
	pbw_float(o, 10, 0);
	pbw_string(o, 16, md5);
	pbw_varint(o, 18, 97017701);
	pbw_varint(o, 19, 1);
	pbw_varint(o, 20, 2);
}

TEST(detect_content_image_upload)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	mml_buf o;
	mml_buf_init(&o, 0);
	upload_body(&o, "aupimg_3215b25c7c7a4315_1681406177558", "77245fb28953c1b2dbcdcb13065105c1");
	run(&x, o.p, o.len, 625, NULL, true, &c);
	CHECK(has(&c, "content.media", "1", "aupimg_3215b25c7c7a4315_1681406177558"));
	CHECK(has(&c, "content.media", "16", "77245fb28953c1b2dbcdcb13065105c1"));
	CHECK(has(&c, "contacts.addressee", "3", FRIEND));
	CHECK(has(&c, "identity.account", "2", ME));
	/* negatives: 6611 and 212 carry a wxid at 3 as well; an md5 that is no digest */
	run(&x, o.p, o.len, 6611, NULL, true, &c);
	CHECK_EQ(count(&c, "content.media"), 0);
	CHECK_EQ(count(&c, "contacts.addressee"), 0);
	upload_body(&o, "aupimg_3215b25c7c7a4315_1681406177558", "77245fb28953c1b2dbcdcb13065105cZ");
	run(&x, o.p, o.len, 625, NULL, true, &c);
	CHECK(!get(&c, "content.media", "16"));
	mml_buf_free(&o);
	det_free(&x);
}

/* ---- kv rows and records ---- */

/* rtkvreport (log 442/541): {1: BaseRequest, 2..6: device, 7: log id, 8: row} */
static void rtkv_body(mml_buf *o, uint64_t logid, uint32_t idfield, const char *row)
{
	mml_buf_reset(o);
	basereq(o);
	pbw_string(o, 2, "sdk_gphone64_arm64arm64-v8a");
	pbw_string(o, 3, "google");
	pbw_string(o, 4, "android-Google");
	pbw_string(o, 5, "32");
	pbw_string(o, 6, "en");
	pbw_varint(o, idfield, logid);
	pbw_string(o, 8, row);
}

/* newreportkvcomm: {4: {1: uin, ..., 4: {1: logid, 2: row, 3: ts, ...}}} */
static void kvcomm_body(mml_buf *o, uint64_t logid, const char *const *rows, int n)
{
	mml_buf_reset(o);
	basereq(o);
	size_t g = pbw_begin(o, 4);
	pbw_varint(o, 1, 1505495844);
	for (int i = 0; i < n; i++) {
		size_t r = pbw_begin(o, 4);
		pbw_varint(o, 1, logid);
		pbw_string(o, 2, rows[i]);
		pbw_varint(o, 3, 1684414634);
		pbw_end(o, r);
	}
	pbw_end(o, g);
}

#define ROW442 "1,1684414580,2001,1,,,T-Mobile,,,,0,-122.08407,37.422,225,5011,0,0,,"
#define ROW541 "2,1684415161,2005,1,AndroidWifi,00:13:10:85:fe:01,T-Mobile,,,,0,-122.08407,37.422,225,5060,0,0,,"

TEST(detect_kv_rows_carrier_and_wifi)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	mml_buf o;
	mml_buf_init(&o, 0);
	static const char *api = "/cgi-bin/micromsg-bin/rtkvreport";
	/* the carrier name with neither MCC-MNC nor brand context: the row's layout says it */
	rtkv_body(&o, 11747, 7, ROW442);
	run(&x, o.p, o.len, 716, api, true, &c);
	CHECK(has(&c, "network.carrier", "8:csv[6]", "T-Mobile"));
	CHECK(has(&c, "location.coordinates", "8:csv", "37.422000,-122.084070"));
	CHECK(has(&c, "device.info", "2", NULL) && has(&c, "locale", "6", "en"));
	rtkv_body(&o, 11747, 7, ROW541);
	run(&x, o.p, o.len, 716, api, true, &c);
	CHECK(has(&c, "network.wifi", "8:csv[4]", "AndroidWifi"));
	CHECK(has(&c, "network.wifi", "8:csv[5]", "00:13:10:85:fe:01"));
	CHECK(has(&c, "network.carrier", "8:csv[6]", "T-Mobile"));
	/* another operator's name in the same column: found the same, whatever its value */
	rtkv_body(&o, 11747, 7, "1,1684414580,2001,1,,,Acme Wireless,,,,0,0,0,0,5011,0,0,,");
	run(&x, o.p, o.len, 716, api, true, &c);
	CHECK(has(&c, "network.carrier", "8:csv[6]", "Acme Wireless"));
	/* negatives: another log id, the log id not just before the row */
	rtkv_body(&o, 11748, 7, ROW442);
	run(&x, o.p, o.len, 716, api, true, &c);
	CHECK(!get(&c, "network.carrier", NULL));
	rtkv_body(&o, 11747, 6, ROW442);
	run(&x, o.p, o.len, 716, api, true, &c);
	CHECK(!get(&c, "network.carrier", NULL));
	/* newreportkvcomm, log id 14313 (log 555): the Wi-Fi name; empty on mobile (shared log 245) */
	static const char *const rows[3] = {"1684414633,1,AndroidWifi,49.51.89.236,443,4,110,2",
	                                    "1684413372,1,,49.51.89.176,8080,4,110,2",
	                                    "1684414634,1,Cafe Wifi 5G,::ffff:49.51.89.236,443,4,110,2"};
	kvcomm_body(&o, 14313, rows, 3);
	run(&x, o.p, o.len, 996, "/cgi-bin/micromsg-bin/newreportkvcomm", true, &c);
	CHECK(has(&c, "network.wifi", "4.4[0].2:csv[2]", "AndroidWifi"));
	CHECK(!get(&c, NULL, "4.4[1].2:csv[2]"));
	CHECK(has(&c, "network.wifi", "4.4[2].2:csv[2]", "Cafe Wifi 5G"));
	kvcomm_body(&o, 14314, rows, 3);
	run(&x, o.p, o.len, 996, "/cgi-bin/micromsg-bin/newreportkvcomm", true, &c);
	CHECK_EQ(count(&c, "network.wifi"), 0);
	/* log id 25593 (log 555): an SSID that starts like the emulator's operator name is no operator,
	 * and the number three cells before it no MCC-MNC */
	static const char *const r25593[1] = {"2954389,0,1,90,310260,0,43.156.255.184,2,353,0,4,-10087,4,1,-1,WIFI,,"
	                                      "463735,87,0,AndroidWifi,310260,sgquic.wechat.com,0,4,,0,3,0,,2,62,"};
	kvcomm_body(&o, 25593, r25593, 1);
	run(&x, o.p, o.len, 996, "/cgi-bin/micromsg-bin/newreportkvcomm", true, &c);
	CHECK(has(&c, "network.wifi", "4.4.2:csv[20]", "AndroidWifi"));
	CHECK(has(&c, "network.carrier", "4.4.2:csv[4]", "310260"));
	CHECK(has(&c, "network.carrier", "4.4.2:csv[21]", "310260"));
	CHECK(!get(&c, NULL, "4.4.2:csv[17]"));
	if (c.n < 4)
		dump(&c, "25593");
	mml_buf_free(&o);
	det_free(&x);
}

TEST(detect_content_media_next_to_mime_type)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	mml_buf o;
	mml_buf_init(&o, 0);
	/* log 245, kv 13512: the Moments image's CDN path, then its MIME type, size, length */
	static const char *const rows[4] = {
		"mmsns/d6nqOnYxo8WsSI0w16k1x5FCAS0L7yaB3xnmV8hg22B6LlEL82mAKkINiaiaT6JEW7OHmP479so6g/0,image/wxam,276,283,-1,6675",
		"https%3A%2F%2Fvweixinf.tc.qq.com%2F102%2F20202%2Fstodownload%3Fm%3D8e1f2c3a4b5d6e7f80a1b2c3d4e5f607,"
		"video/mp4,1280,720,15", /* cells are URL-encoded */
		"pages/index/index,image/png,10,10", /* a short path: no media file id */
		"mmsns/d6nqOnYxo8WsSI0w16k1x5FCAS0L7yaB3xnmV8hg22B6LlEL82mAKkINiaiaT6JEW7OHmP479so6g/0,text/plain,1",
	};
	kvcomm_body(&o, 13512, rows, 4);
	run(&x, o.p, o.len, 996, "/cgi-bin/micromsg-bin/newreportkvcomm", true, &c);
	CHECK(has(&c, "content.media", "4.4[0].2:csv[0]", NULL));
	CHECK(has(&c, "content.media", "4.4[1].2:csv[0]", NULL));
	CHECK(!get(&c, "content.media", "4.4[2].2:csv[0]"));
	CHECK(!get(&c, "content.media", "4.4[3].2:csv[0]"));
	CHECK_EQ(count(&c, "content.media"), 2);
	mml_buf_free(&o);
	det_free(&x);
}

/* ---- a search query next to a fix is no place (log 523-539) ---- */

static void fixmsg(mml_buf *o, uint32_t field)
{
	size_t m = pbw_begin(o, field);
	pbw_float(o, 1, -122.08407f);
	pbw_float(o, 2, 37.422f);
	pbw_varint(o, 3, 225);
	pbw_varint(o, 6, 1);
	pbw_end(o, m);
}

TEST(detect_search_query_next_to_a_fix_is_no_place)
{
	det x;
	REQUIRE(det_init(&x));
	static cfs c;
	mml_buf o;
	mml_buf_init(&o, 0);
	/* pardussearch (1076) / keyboardsug (4591): {1: query, 2: {fix}, 3: session, ...} */
	static const char *const q[3] = {"小程序示例", "Starbucks Reserve", "上海市"};
	for (int k = 0; k < 3; k++) {
		mml_buf_reset(&o);
		pbw_string(&o, 1, q[k]);
		fixmsg(&o, 2);
		pbw_string(&o, 3, "-7532554687032179594");
		pbw_varint(&o, 7, 10000079);
		run(&x, o.p, o.len, 1076, NULL, true, &c);
		CHECK(has(&c, "search.query", "1", q[k]));
		CHECK(!get(&c, "location.place", NULL));
		CHECK(has(&c, "location.coordinates", "2", "37.422001,-122.084068"));
		run(&x, o.p, o.len, 4591, "/cgi-bin/mmsearch-bin/keyboardsug", true, &c);
		CHECK(has(&c, "search.query", "1", q[k]) && !get(&c, "location.place", NULL));
		/* an unknown request: a text next to a fix is a place only when it has the shape of one */
		run(&x, o.p, o.len, -1, NULL, true, &c);
		if (k == 0)
			CHECK(!get(&c, NULL, "1"));
		else
			CHECK(has(&c, "location.place", "1", q[k]));
	}
	/* mmwebsearch (log 538): the query at 2 and again at 12, the fix at 6 */
	mml_buf_reset(&o);
	pbw_varint(&o, 1, 1);
	pbw_string(&o, 2, "Golden Gate Park");
	fixmsg(&o, 6);
	pbw_string(&o, 12, "Golden Gate Park");
	pbw_string(&o, 19, "en");
	run(&x, o.p, o.len, 719, NULL, true, &c);
	CHECK(has(&c, "search.query", "2", "Golden Gate Park"));
	CHECK(has(&c, "search.query", "12", "Golden Gate Park"));
	CHECK(!get(&c, "location.place", NULL));
	mml_buf_free(&o);
	det_free(&x);
}

/* ---- the shared real log (lines 1-304 of the collection) ---- */

TEST(detect_content_real_log)
{
	det x;
	REQUIRE(det_init(&x));
	mml_catalog cat;
	mml_catalog_init(&cat);
	mml_catalog_load_builtin(&cat);
	mml_plainlog *l = mml_plainlog_open(mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"), &cat,
	                                    1 << 24, NULL, NULL);
	if (!l) {
		mml_catalog_free(&cat);
		det_free(&x);
		REQUIRE(l);
	}
	static cfs c;
	mml_msg m;
	int n = 0, places = 0, wifi = 0, media245 = 0, kvempty = 0, content = 0;
	while (mml_plainlog_next(l, &m) == MML_OK) {
		n++;
		run(&x, m.body, m.body_len, m.req_type, m.api, true, &c);
		places += count(&c, "location.place");
		wifi += count(&c, "network.wifi");
		content += count(&c, "content") + count(&c, "contacts.addressee");
		if (m.id == 245) {
			const cf *f = get(&c, "content.media", "4[7].4[195].2:csv[0]");
			media245 = f && !strncmp(f->value, "mmsns/d6nqOnYxo8WsSI0w16k1x5FCAS0L7yaB3xnmV8hg22B6LlEL82mAKk", 58);
			/* the 14313 rows of this batch have an empty Wi-Fi name: nothing there */
			for (int i = 0; i < c.n; i++)
				kvempty += !strcmp(c.f[i].det, "kv.layout");
		}
	}
	mml_plainlog_close(l);
	mml_catalog_free(&cat);
	CHECK_EQ(n, 304);
	CHECK_EQ(places, 0);
	CHECK_EQ(wifi, 0);
	CHECK_EQ(kvempty, 0);
	CHECK(media245);
	CHECK_EQ(content, 1); /* that file id is the only content the startup sessions send */
	det_free(&x);
}

/* ---- the simulator's core-feature scenarios ---- */

#define NC 48
typedef struct pr {
	char cat[40];
	long tp, fp, fn, bad;
} pr;

static pr *pr_get(pr *t, int *n, const char *cat)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(t[i].cat, cat))
			return &t[i];
	if (*n >= NC)
		return &t[NC - 1];
	memset(&t[*n], 0, sizeof t[*n]);
	snprintf(t[*n].cat, sizeof t[*n].cat, "%s", cat);
	return &t[(*n)++];
}

/* Every truth message's body detected as mmlens scan would (header uin, query) against its truth. */
static void compare(det *x, json_t *msgs, pr *t, int *nt, int *shown)
{
	size_t i;
	json_t *jm;
	mml_buf body, inf;
	mml_buf_init(&body, 0);
	mml_buf_init(&inf, 0);
	static cfs c;
	json_array_foreach(msgs, i, jm)
	{
		const char *hex = t_str(jm, "body_hex");
		if (!hex)
			continue;
		mml_buf_reset(&body);
		mml_hexdump_decode(hex, strlen(hex), &body);
		const mml_buf *b = &body;
		if (body.len > 2 && body.p[0] == 0x78) {
			mml_buf_reset(&inf);
			if (mml_inflate(body.p, body.len, 1 << 24, &inf) == MML_OK)
				b = &inf;
		}
		json_t *rt = json_object_get(jm, "req_type");
		c.n = 0;
		mml_decode_body(&x->t, b->len ? b->p : (const uint8_t *)"", b->len);
		long long uin = t_int(jm, "uin");
		if (uin > 0)
			mml_decode_meta_uint(&x->t, "header", "uin", (uint64_t)uin);
		const char *uri = t_str(jm, "uri"), *q = uri ? strchr(uri, '?') : NULL;
		if (q)
			mml_decode_meta_url(&x->t, "query", q + 1, strlen(q + 1));
		mml_detect_msg m = {.req_type = json_is_integer(rt) ? json_integer_value(rt) : -1,
		                    .api = t_str(jm, "api"),
		                    .request = !strcmp(t_str(jm, "dir"), "request")};
		mml_detect_run(x->d, x->s, &x->t, &m, on_find, &c);
		char used[CF_MAX] = {0};
		size_t k;
		json_t *p;
		json_array_foreach(json_object_get(jm, "pii"), k, p)
		{
			const char *cat = t_str(p, "category"), *path = t_str(p, "path"), *val = t_str(p, "value");
			pr *e = pr_get(t, nt, cat);
			int j = 0;
			while (j < c.n && (strcmp(c.f[j].cat, cat) || strcmp(c.f[j].path, path)))
				j++;
			if (j == c.n) {
				e->fn++;
				if ((*shown)++ < 10)
					printf("    FN %s %s %s = '%.70s'\n", t_str(jm, "api"), cat, path, val);
				continue;
			}
			if (used[j])
				continue;
			used[j] = 1;
			e->tp++;
			if (strncmp(c.f[j].value, val, sizeof c.f[j].value - 1))
				e->bad++;
		}
		for (int j = 0; j < c.n; j++)
			if (!used[j]) {
				pr_get(t, nt, c.f[j].cat)->fp++;
				if ((*shown)++ < 10)
					printf("    FP %s %s %s %s = '%.70s'\n", t_str(jm, "api"), c.f[j].det, c.f[j].cat, c.f[j].path,
					       c.f[j].value);
			}
	}
	mml_buf_free(&body);
	mml_buf_free(&inf);
}

TEST(detect_content_sim_precision_recall)
{
	det x;
	REQUIRE(det_init(&x));
	static pr t[NC];
	int nt = 0, shown = 0, runs = 0;
	static const char *const sc[] = {"messaging", "post", "comment", "image"};
	for (size_t s = 0; s < sizeof sc / sizeof *sc; s++)
		for (int v = 0; v < 3; v++) {
			char tag[64], args[160], pcap[512], keys[512], truth[512];
			snprintf(tag, sizeof tag, "detc_%s_%d", sc[s], v);
			snprintf(args, sizeof args, "--scenario %s --seed %d --devices %d", sc[s], 31 + v + 7 * (int)s, 1 + v);
			if (t_simulate(tag, args, pcap, keys, truth, sizeof pcap) != 0) {
				mml_test_fail(__FILE__, __LINE__, "simulator failed: %s", args);
				continue;
			}
			json_t *msgs = t_load_jsonl(truth);
			compare(&x, msgs, t, &nt, &shown);
			json_decref(msgs);
			remove(pcap);
			remove(keys);
			remove(truth);
			runs++;
		}
	CHECK_EQ(runs, 12);
	static const char *const core[] = {"content.message", "content.post", "content.comment", "content.media",
	                                   "contacts.addressee"};
	char line[1024] = "";
	size_t ll = 0;
	for (int i = 0; i < nt; i++) {
		double p = t[i].tp + t[i].fp ? (double)t[i].tp / (double)(t[i].tp + t[i].fp) : 1;
		double r = t[i].tp + t[i].fn ? (double)t[i].tp / (double)(t[i].tp + t[i].fn) : 1;
		if (p < 1 || r < 1 || t[i].bad)
			mml_test_fail(__FILE__, __LINE__, "%s: precision %.4f recall %.4f, %ld values differ", t[i].cat, p, r,
			              t[i].bad);
		for (size_t k = 0; k < sizeof core / sizeof *core; k++)
			if (!strcmp(t[i].cat, core[k]) && ll < sizeof line - 64)
				ll += (size_t)snprintf(line + ll, sizeof line - ll, "%s%s %ld items %.3f/%.3f", ll ? ", " : "",
				                       t[i].cat, t[i].tp + t[i].fn, p, r);
	}
	for (size_t k = 0; k < sizeof core / sizeof *core; k++) {
		pr *e = pr_get(t, &nt, core[k]);
		if (e->tp < 20)
			mml_test_fail(__FILE__, __LINE__, "%s: only %ld truth items found", core[k], e->tp);
	}
	mml_test_note("%d categories at 1.000/1.000; %s", nt, line);
	det_free(&x);
}
