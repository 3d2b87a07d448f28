/*
 * tools/sim/content_core.c - the core features' content for
 * sim_content_make() (content.c dispatches here): a Moments post
 * (mmsnspost, 209), a comment on a post (mmsnscomment, 213) and an image
 * sent in a chat (uploadmsgimg, 625), with their ground truth.
 *
 * Contract: sim_core_make() writes the body of one SIM_K_SNSPOST,
 * SIM_K_SNSCOMMENT or SIM_K_UPLOADIMG request or response into b->pb
 * (already reset, header fields set) and adds its truth with the path
 * syntax documented in content.c. The requests follow the real bodies of
 * the published log (login_permissions_on_1.log.jsonl) field by field:
 *  - mmsnspost (line 477): {1: BaseRequest, 2: {1: length, 2: the
 *    TimelineObject XML: id, username, createTime, contentDesc (the text,
 *    CDATA), ContentObject.mediaList.media {id 0, type 2, url (md5
 *    attribute), thumb}}, 3: with-user count, 4: {1: wxid} per tagged
 *    friend, 7: client id (32 hex), 11: 11, 22: "prePublishId=&...",
 *    24: 1, 25, 28: signed blobs, 29, 34: report XML};
 *    response (doc: SnsPostResponse {1: BaseResponse, 2: SnsObject {1: id,
 *    2: username, 3: nickname, 4: time, 5: {1: length, 2: the same XML
 *    with the server's ids}}});
 *  - mmsnscomment (line 1090): {1: BaseRequest, 2: {1: post id, 2: 0,
 *    3: CurrentAction {1: from wxid, 2: to wxid, 3: from nickname, 4: to
 *    nickname, 5: 2, 6: 0, 7: time, 8: text, 9-18: zeros}, 4: ReferAction
 *    (a reply: the comment answered, else zeros)}, 3: client id};
 *    response: {1: BaseResponse, 2: SnsObject of the post (its author,
 *    nickname, TimelineObject)};
 *  - uploadmsgimg (lines 382, 414): {1: "aupimg_<16 hex>_<ms>", 2: from,
 *    3: to, 4/5: thumbnail size, 6: "", 8: 0, 9/10: float 0, 12-15: 0,
 *    16: md5, 17: 0, 18: a varint, 19: 1, 20: 2}; response (doc:
 *    UploadMsgImgResponse {1: BaseResponse, 2: msg id, 3: {1: client image
 *    id}, 4: {1: from}, 5: {1: to}, 6-9: sizes and time, 10: new msg id,
 *    12: CDN file id}).
 * The people addressed are the user's friends (simc_friend) with display
 * names from a small table; texts are made up, one language per device.
 * Same RNG state, device and ctx give the same bytes and truth.
 */
#include <stdio.h>
#include <string.h>

#include "content_int.h"
#include "sim.h"


/* ---- what people write, and who they are ---- */

static const char *const post_en[] = {
	"Sunset at the beach tonight", "Weekend hike with the best crew", "Finally finished the marathon!",
	"Homemade dumplings, round two", "Happy birthday to my little sister", "New job, new city, new start",
};
static const char *const post_zh[] = {"周末去爬山了，风景真好", "第一次做饺子，成功！", "新年快乐，万事如意", "今天的晚霞太美了"};
static const char *const post_de[] = {"Sonntagsspaziergang am See", "Endlich Urlaub!", "Das beste Brot der Stadt"};
static const char *const post_ja[] = {"週末は海へ", "桜がきれいでした", "新しいカフェを見つけた"};

static const char *const comment_en[] = {"Looks amazing!", "Congrats!! So proud of you", "Where is this?",
                                         "Save some for me next time", "Wow, beautiful shot", "Happy birthday!!"};
static const char *const comment_zh[] = {"太美了！", "恭喜恭喜", "这是哪里？", "下次带上我", "生日快乐！"};
static const char *const comment_de[] = {"Wunderschön!", "Glückwunsch!", "Wo ist das?"};
static const char *const comment_ja[] = {"素敵！", "おめでとう！", "どこですか？"};

static const char *const names_en[] = {"Emma Clarke", "Liam Walker", "Olivia Brown", "Noah Patel", "Ava Wilson",
                                       "Lena Xu", "Mia Johnson", "Ethan Lee"};
static const char *const names_zh[] = {"王芳", "李伟", "张静", "刘洋", "陈晨", "赵磊", "小雨"};
static const char *const names_de[] = {"Anna Schmidt", "Jonas Weber", "Lea Fischer", "Paul Wagner"};
static const char *const names_ja[] = {"佐藤花子", "田中健", "鈴木愛", "高橋翔"};

#define LANG_PICK(r, d, base) \
	(!strcmp((d)->lang, "zh") ? PICK(r, base##_zh) : !strcmp((d)->lang, "de") ? PICK(r, base##_de) \
	 : !strcmp((d)->lang, "ja") ? PICK(r, base##_ja) : PICK(r, base##_en))

/* The display name of the user's k-th friend: stable for (user, k). */
static const char *friend_name(const sim_device *d, uint64_t k)
{
	uint64_t h = simc_hash(d->uin ^ 0x6e616d65u, k);
	if (!strcmp(d->lang, "zh"))
		return names_zh[h % (sizeof names_zh / sizeof *names_zh)];
	if (!strcmp(d->lang, "de"))
		return names_de[h % (sizeof names_de / sizeof *names_de)];
	if (!strcmp(d->lang, "ja"))
		return names_ja[h % (sizeof names_ja / sizeof *names_ja)];
	return names_en[h % (sizeof names_en / sizeof *names_en)];
}

/* A friend (a person, not a chat room): index and wxid. */
static uint64_t pick_person(sim_rng *r, const sim_device *d, char wxid[32])
{
	uint64_t k = sim_rng_below(r, 12);
	if (k % 7 == 6) /* simc_friend's chat rooms */
		k++;
	simc_friend(d, k, wxid);
	return k;
}

/* ---- a small text builder (the XML of a post, on the stack) ---- */

typedef struct tbuf {
	char p[6144];
	size_t n;
} tbuf;

static void tb_put(tbuf *t, const char *s)
{
	size_t k = strlen(s);
	if (t->n + k >= sizeof t->p)
		k = sizeof t->p - 1 - t->n; /* the texts below stay far under the size */
	memcpy(t->p + t->n, s, k);
	t->n += k;
	t->p[t->n] = 0;
}

static void tb_cdata(tbuf *t, const char *tag, const char *v)
{
	tb_put(t, "<");
	tb_put(t, tag);
	tb_put(t, "><![CDATA[");
	tb_put(t, v);
	tb_put(t, "]]></");
	tb_put(t, tag);
	tb_put(t, ">");
}

/* The CDN path of a Moments image: 75 characters of base64url-like text. */
static void sns_token(sim_rng *r, char out[80])
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (int i = 0; i < 75; i++)
		out[i] = a[sim_rng_below(r, 62)];
	out[75] = 0;
}

typedef struct media {
	char id[24];   /* "0" in a request, the server's id in a response */
	char url[160], thumb[160], md5[33];
	unsigned w, h, size;
} media;

static void make_media(sim_rng *r, media *m, bool server_ids)
{
	char tok[80];
	sns_token(r, tok);
	snprintf(m->id, sizeof m->id, "%llu",
	         server_ids ? 13000000000000000000ull + (unsigned long long)sim_rng_below(r, 5000000000000000000ull) : 0ull);
	snprintf(m->url, sizeof m->url, "http://mmsns.c2c.wechat.com/mmsns/%s/0", tok);
	snprintf(m->thumb, sizeof m->thumb, "http://mmsns.c2c.wechat.com/mmsns/%s/150", tok);
	simc_hex(r, m->md5, 32);
	m->w = 200 + (unsigned)sim_rng_below(r, 1000);
	m->h = 200 + (unsigned)sim_rng_below(r, 1000);
	m->size = 5000 + (unsigned)sim_rng_below(r, 400000);
}

/*
 * The TimelineObject XML of a post, as the real request writes it, into
 * t; its truth (paths under `at`, the string field holding it). author:
 * the account of the post; author_cat: its category (the user's own post:
 * identity.account; a friend's: contacts.addressee when a comment answers
 * it).
 */
static void timeline_xml(tbuf *t, sim_body *b, const char *at, uint64_t id, const char *author, const char *author_cat,
                         uint64_t when, const char *text, const media *ms, int nm)
{
	char num[32];
	t->n = 0;
	t->p[0] = 0;
	tb_put(t, "<TimelineObject>");
	snprintf(num, sizeof num, "%llu", (unsigned long long)id);
	tb_cdata(t, "id", num);
	tb_cdata(t, "username", author);
	simc_truth(b, author_cat, author, "%s:xml.TimelineObject.username", at);
	snprintf(num, sizeof num, "%llu", (unsigned long long)when);
	tb_cdata(t, "createTime", num);
	tb_put(t, "<contentDescShowType>0</contentDescShowType><contentDescScene>0</contentDescScene>");
	tb_cdata(t, "private", "0");
	tb_cdata(t, "contentDesc", text);
	simc_truth(b, "content.post", text, "%s:xml.TimelineObject.contentDesc", at);
	tb_cdata(t, "contentattr", "0");
	tb_put(t, "<sourceUserName></sourceUserName><sourceNickName></sourceNickName><statisticsData></statisticsData>"
	          "<weappInfo><appUserName></appUserName><pagePath></pagePath><version><![CDATA[0]]></version>"
	          "<debugMode><![CDATA[0]]></debugMode><shareActionId></shareActionId><isGame><![CDATA[0]]></isGame>"
	          "<messageExtraData></messageExtraData><subType><![CDATA[0]]></subType><preloadResources>"
	          "</preloadResources></weappInfo><canvasInfoXml></canvasInfoXml><ContentObject>");
	tb_cdata(t, "contentStyle", "1");
	tb_cdata(t, "contentSubStyle", "0");
	tb_put(t, "<title></title><description></description><contentUrl></contentUrl><mediaList>");
	for (int i = 0; i < nm; i++) {
		const media *m = &ms[i];
		char p[64];
		if (nm > 1)
			snprintf(p, sizeof p, "media[%d]", i);
		else
			snprintf(p, sizeof p, "media");
		tb_put(t, "<media>");
		tb_cdata(t, "id", m->id);
		if (strcmp(m->id, "0"))
			simc_truth(b, "content.media", m->id, "%s:xml.TimelineObject.ContentObject.mediaList.%s.id", at, p);
		tb_cdata(t, "type", "2");
		tb_put(t, "<title></title><description></description>");
		tb_cdata(t, "private", "0");
		tb_put(t, "<url type=\"1\"  md5=\"");
		tb_put(t, m->md5);
		tb_put(t, "\" ><![CDATA[");
		tb_put(t, m->url);
		tb_put(t, "]]></url><thumb type=\"1\" ><![CDATA[");
		tb_put(t, m->thumb);
		tb_put(t, "]]></thumb>");
		simc_truth(b, "content.media", m->url, "%s:xml.TimelineObject.ContentObject.mediaList.%s.url", at, p);
		simc_truth(b, "content.media", m->md5, "%s:xml.TimelineObject.ContentObject.mediaList.%s.url@md5", at, p);
		simc_truth(b, "content.media", m->thumb, "%s:xml.TimelineObject.ContentObject.mediaList.%s.thumb", at, p);
		tb_cdata(t, "videoDuration", "0.0");
		char sz[96];
		snprintf(sz, sizeof sz, "<size totalSize=\"%u.0\"  width=\"%u.0\"  height=\"%u.0\" ></size></media>", m->size,
		         m->w, m->h);
		tb_put(t, sz);
	}
	tb_put(t, "</mediaList></ContentObject><actionInfo><appMsg><mediaTagName></mediaTagName><messageExt>"
	          "</messageExt><messageAction></messageAction></appMsg></actionInfo></TimelineObject>");
}

/* {1: length, 2: bytes}: the app's SKBuiltinBuffer */
static void skbuf(mml_buf *o, uint32_t field, const char *p, size_t n)
{
	size_t m = pbw_begin(o, field);
	pbw_varint(o, 1, n);
	pbw_bytes(o, 2, p, n);
	pbw_end(o, m);
}

/* field 28 of the post request: signed blobs {1: n, 2: {1: "00000001", 2: 2, 3: blob, 4: ts, 5: 5, 6: 0}} */
static void signed_blobs(sim_rng *r, mml_buf *o, uint64_t ts)
{
	size_t m = pbw_begin(o, 28);
	size_t in = pbw_begin(o, 2);
	for (int i = 0; i < 2; i++) {
		uint8_t blob[96];
		size_t bl = i ? 96 : 64;
		sim_rng_bytes(r, blob, bl);
		size_t e = pbw_begin(o, (uint32_t)(i + 1));
		size_t e2 = pbw_begin(o, 2);
		pbw_string(o, 1, "00000001");
		pbw_varint(o, 2, 2);
		pbw_bytes(o, 3, blob, bl);
		pbw_varint(o, 4, ts);
		pbw_varint(o, 5, 5);
		pbw_varint(o, 6, 0);
		pbw_end(o, e2);
		pbw_end(o, e);
	}
	pbw_end(o, in);
	pbw_end(o, m);
}

/* ---- SNSPOST (mmsnspost) ---- */

static void snspost_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	const char *text = LANG_PICK(r, d, post);
	int nm = 1 + (int)sim_rng_below(r, 3), nwith = sim_rng_below(r, 3) == 0 ? 1 + (int)sim_rng_below(r, 2) : 0;
	media ms[3];
	for (int i = 0; i < nm; i++)
		make_media(r, &ms[i], false);
	char with[2][32];
	for (int i = 0; i < nwith; i++)
		pick_person(r, d, with[i]);
	simc_basereq(b, d, 1, 0, "1");
	static tbuf t;
	timeline_xml(&t, b, "2.2", 0, d->wxid, "identity.account", 0, text, ms, nm);
	skbuf(o, 2, t.p, t.n);
	pbw_varint(o, 3, (uint64_t)nwith);
	for (int i = 0; i < nwith; i++) {
		size_t m = pbw_begin(o, 4);
		pbw_string(o, 1, with[i]);
		pbw_end(o, m);
		if (nwith > 1)
			simc_truth(b, "contacts.addressee", with[i], "4[%d].1", i);
		else
			simc_truth(b, "contacts.addressee", with[i], "4.1");
	}
	pbw_varint(o, 5, 0);
	pbw_varint(o, 6, 0);
	char cid[33];
	simc_hex(r, cid, 32);
	pbw_string(o, 7, cid);
	pbw_varint(o, 8, 0);
	pbw_varint(o, 9, 0);
	pbw_varint(o, 11, 11);
	pbw_varint(o, 12, 0);
	pbw_varint(o, 13, 0);
	pbw_varint(o, 16, 0);
	size_t f19 = pbw_begin(o, 19);
	pbw_varint(o, 4, 0);
	pbw_varint(o, 5, 0);
	pbw_end(o, f19);
	pbw_string(o, 22, "prePublishId=&preUserName=&preChatName=&preChatType=0&getA8KeyScene=0&sourceAppId=null");
	pbw_varint(o, 24, 1);
	size_t f25 = pbw_begin(o, 25);
	pbw_varint(o, 1, 2);
	pbw_varint(o, 2, 2);
	pbw_varint(o, 3, 0);
	pbw_string(o, 4, "");
	pbw_varint(o, 5, 0);
	pbw_end(o, f25);
	signed_blobs(r, o, ci->ts_us / 1000000);
	size_t f29 = pbw_begin(o, 29);
	pbw_varint(o, 1, 1);
	pbw_string(o, 2, "");
	pbw_end(o, f29);
	pbw_varint(o, 32, 0);
	pbw_string(o, 34, "<WCTimelineReportData><msgsource><cf>0</cf><inlenlist></inlenlist></msgsource>"
	                  "</WCTimelineReportData>");
}

static void snspost_response(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	const char *text = LANG_PICK(r, d, post);
	int nm = 1 + (int)sim_rng_below(r, 3);
	media ms[3];
	for (int i = 0; i < nm; i++)
		make_media(r, &ms[i], true);
	uint64_t id = 14000000000000000000ull + sim_rng_below(r, 4000000000000000000ull), when = ci->ts_us / 1000000;
	simc_baseresp(b);
	size_t so = pbw_begin(o, 2);
	pbw_varint(o, 1, id);
	pbw_string(o, 2, d->wxid);
	simc_truth(b, "identity.account", d->wxid, "2.2");
	pbw_string(o, 3, d->nickname);
	simc_truth(b, "profile.name", d->nickname, "2.3");
	pbw_varint(o, 4, when);
	static tbuf t;
	timeline_xml(&t, b, "2.5.2", id, d->wxid, "identity.account", when, text, ms, nm);
	skbuf(o, 5, t.p, t.n);
	for (uint32_t f = 6; f <= 11; f++)
		pbw_varint(o, f, 0);
	pbw_end(o, so);
}

/* ---- SNSCOMMENT (mmsnscomment) ---- */

/* One SnsAction {1: from, 2: to, 3: from nickname, 4: to nickname, 5: 2, 6: 0, 7: time, 8: text, 9-18: 0} */
static void sns_action(mml_buf *o, uint32_t field, const char *from, const char *to, const char *fnick,
                       const char *tnick, uint64_t when, const char *text)
{
	size_t m = pbw_begin(o, field);
	pbw_string(o, 1, from);
	pbw_string(o, 2, to);
	pbw_string(o, 3, fnick);
	pbw_string(o, 4, tnick);
	pbw_varint(o, 5, 2);
	pbw_varint(o, 6, 0);
	pbw_varint(o, 7, when);
	pbw_string(o, 8, text);
	static const uint32_t z[] = {9, 10, 11, 12, 13, 15, 18};
	for (size_t i = 0; i < sizeof z / sizeof *z; i++)
		pbw_varint(o, z[i], 0);
	pbw_end(o, m);
}

static void snscomment_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	char author[32], other[32];
	uint64_t ka = pick_person(r, d, author);
	const char *aname = friend_name(d, ka);
	const char *text = LANG_PICK(r, d, comment);
	uint64_t post = 14000000000000000000ull + sim_rng_below(r, 4000000000000000000ull);
	uint64_t now = ci->ts_us / 1000000;
	/* a third of the comments answer a friend's comment on the post: the addressee is that friend */
	bool reply = sim_rng_below(r, 3) == 0;
	uint64_t ko = reply ? pick_person(r, d, other) : 0;
	const char *oname = reply ? friend_name(d, ko) : "";
	const char *otext = reply ? LANG_PICK(r, d, comment) : "";
	if (reply && !strcmp(other, author)) {
		ko = (ka + 1) % 6;
		simc_friend(d, ko, other);
		oname = friend_name(d, ko);
	}
	simc_basereq(b, d, 1, 0, "1");
	size_t g = pbw_begin(o, 2);
	pbw_varint(o, 1, post);
	pbw_varint(o, 2, 0);
	const char *to = reply ? other : author, *tnick = reply ? oname : aname;
	sns_action(o, 3, d->wxid, to, d->nickname, tnick, now, text);
	simc_truth(b, "identity.account", d->wxid, "2.3.1");
	simc_truth(b, "contacts.addressee", to, "2.3.2");
	simc_truth(b, "profile.name", d->nickname, "2.3.3");
	simc_truth(b, "contacts.addressee", tnick, "2.3.4");
	simc_truth(b, "content.comment", text, "2.3.8");
	if (reply) {
		/* the comment answered: its author (the addressee), on the post's author's post */
		sns_action(o, 4, other, author, oname, aname, now - 60 - sim_rng_below(r, 86400), otext);
		simc_truth(b, "contacts.addressee", other, "2.4.1");
		simc_truth(b, "contacts", author, "2.4.2");
		simc_truth(b, "contacts.addressee", oname, "2.4.3");
		simc_truth(b, "contacts", aname, "2.4.4");
		simc_truth(b, "content.comment", otext, "2.4.8");
	} else {
		size_t m = pbw_begin(o, 4);
		pbw_string(o, 1, "");
		static const uint32_t z[] = {5, 6, 7, 9, 10, 11, 12, 13, 15, 18};
		for (size_t i = 0; i < sizeof z / sizeof *z; i++)
			pbw_varint(o, z[i], 0);
		pbw_end(o, m);
	}
	pbw_end(o, g);
	char cid[33];
	simc_hex(r, cid, 32);
	pbw_string(o, 3, cid);
}

static void snscomment_response(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	char author[32];
	uint64_t ka = pick_person(r, d, author);
	const char *aname = friend_name(d, ka);
	const char *text = LANG_PICK(r, d, post);
	media ms[1];
	make_media(r, &ms[0], true);
	uint64_t id = 14000000000000000000ull + sim_rng_below(r, 4000000000000000000ull);
	uint64_t when = ci->ts_us / 1000000 - 3600 - sim_rng_below(r, 86400 * 3);
	simc_baseresp(b);
	/* the post commented on, as the server returns it: the author's */
	size_t so = pbw_begin(o, 2);
	pbw_varint(o, 1, id);
	pbw_string(o, 2, author);
	simc_truth(b, "contacts.addressee", author, "2.2");
	pbw_string(o, 3, aname);
	simc_truth(b, "contacts.addressee", aname, "2.3");
	pbw_varint(o, 4, when);
	static tbuf t;
	timeline_xml(&t, b, "2.5.2", id, author, "contacts.addressee", when, text, ms, 1);
	skbuf(o, 5, t.p, t.n);
	pbw_varint(o, 6, 0);
	pbw_varint(o, 7, sim_rng_below(r, 40));
	pbw_varint(o, 8, 0);
	pbw_varint(o, 10, 1 + sim_rng_below(r, 9));
	pbw_varint(o, 11, 0);
	pbw_end(o, so);
}

/* ---- UPLOADIMG (uploadmsgimg) ---- */

static void uploadimg_request(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	char to[32], hx[17], id[64], md5[33];
	simc_friend(d, sim_rng_below(r, 12), to);
	/* the client image id: a per-install hex and the time in ms */
	uint64_t h = simc_hash(d->uin, 0x617570);
	snprintf(hx, sizeof hx, "%016llx", (unsigned long long)h);
	snprintf(id, sizeof id, "aupimg_%s_%llu", hx, (unsigned long long)(ci->ts_us / 1000));
	simc_hex(r, md5, 32);
	pbw_string(o, 1, id);
	simc_truth(b, "content.media", id, "1");
	pbw_string(o, 2, d->wxid);
	simc_truth(b, "identity.account", d->wxid, "2");
	pbw_string(o, 3, to);
	simc_truth(b, "contacts.addressee", to, "3");
	pbw_varint(o, 4, 100 + sim_rng_below(r, 40));
	pbw_varint(o, 5, 100 + sim_rng_below(r, 40));
	pbw_string(o, 6, "");
	pbw_varint(o, 8, 0);
	pbw_float(o, 9, 0);
	pbw_float(o, 10, 0);
	for (uint32_t f = 12; f <= 15; f++)
		pbw_varint(o, f, 0);
	pbw_string(o, 16, md5);
	simc_truth(b, "content.media", md5, "16");
	pbw_varint(o, 17, 0);
	pbw_varint(o, 18, (uint32_t)sim_rng_next(r));
	pbw_varint(o, 19, 1);
	pbw_varint(o, 20, 2);
}

static void uploadimg_response(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_body *b)
{
	mml_buf *o = &b->pb;
	char to[32], id[64], fid[160];
	simc_friend(d, sim_rng_below(r, 12), to);
	snprintf(id, sizeof id, "aupimg_%016llx_%llu", (unsigned long long)simc_hash(d->uin, 0x617570),
	         (unsigned long long)(ci->ts_us / 1000 - sim_rng_below(r, 2000)));
	/* a CDN file id: hex of a small ASN.1-like structure */
	memcpy(fid, "3057020100044b30490201000204", 28);
	simc_hex(r, fid + 28, 96);
	simc_baseresp(b);
	pbw_varint(o, 2, (uint32_t)sim_rng_next(r));
	size_t m = pbw_begin(o, 3);
	pbw_string(o, 1, id);
	pbw_end(o, m);
	simc_truth(b, "content.media", id, "3.1");
	m = pbw_begin(o, 4);
	pbw_string(o, 1, d->wxid);
	pbw_end(o, m);
	simc_truth(b, "identity.account", d->wxid, "4.1");
	m = pbw_begin(o, 5);
	pbw_string(o, 1, to);
	pbw_end(o, m);
	simc_truth(b, "contacts.addressee", to, "5.1");
	uint64_t total = 20000 + sim_rng_below(r, 400000);
	pbw_varint(o, 6, total);
	pbw_varint(o, 7, 0);
	pbw_varint(o, 8, total);
	pbw_varint(o, 9, ci->ts_us / 1000000);
	pbw_varint(o, 10, sim_rng_next(r) >> 1);
	pbw_string(o, 12, fid);
	simc_truth(b, "content.media", fid, "12");
}

void sim_core_make(sim_rng *r, const sim_device *d, const sim_ctx_info *ci, sim_kind k, bool request, sim_body *b)
{
	switch (k) {
	case SIM_K_SNSPOST:
		if (request)
			snspost_request(r, d, ci, b);
		else
			snspost_response(r, d, ci, b);
		break;
	case SIM_K_SNSCOMMENT:
		if (request)
			snscomment_request(r, d, ci, b);
		else
			snscomment_response(r, d, ci, b);
		break;
	case SIM_K_UPLOADIMG:
		if (request)
			uploadimg_request(r, d, ci, b);
		else
			uploadimg_response(r, d, ci, b);
		break;
	default:
		break;
	}
}
