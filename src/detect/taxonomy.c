/*
 * taxonomy.c - the taxonomy of personal data: stable ids in a hierarchy,
 * read once from data/taxonomy.tsv as built into the binary
 * (mml_taxonomy_builtin_data, tools/embed.sh).
 *
 * Format: `id<TAB>parent<TAB>label` per line, '#' comments, parent "-"
 * for a root; a parent comes before its children; ids are lowercase
 * [a-z_.] with the parent as prefix. The table is parsed on first use
 * (pthread_once) into static storage that lives as long as the program,
 * so ids handed out (finding.category) are valid forever. A malformed
 * built-in file is a build error caught by the tests (the table is then
 * empty and mml_detect_new fails with the reason).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"
#include "mmlens/util.h"

extern const unsigned char mml_taxonomy_builtin_data[];
extern const size_t mml_taxonomy_builtin_data_len;

typedef struct tax_ent {
	const char *id, *parent, *label;
} tax_ent;

static tax_ent tab[TAX_MAX];
static size_t ntab;
static char *store;
static char tax_err[160];
static pthread_once_t once = PTHREAD_ONCE_INIT;

int cat_ix[C__COUNT];

static const char *const well_known[C__COUNT] = {
	[C_ACCOUNT] = "identity.account",      [C_DEVICE_ID] = "identity.device",
	[C_PUSH] = "identity.push_token",      [C_THIRDPARTY] = "identity.thirdparty",
	[C_DEVINFO] = "device.info",           [C_CARRIER] = "network.carrier",
	[C_IP] = "network.ip",                 [C_WIFI] = "network.wifi",
	[C_NETTYPE] = "network.type",          [C_COORD] = "location.coordinates",
	[C_PLACE] = "location.place",          [C_LOCALE] = "locale",
	[C_MP_ID] = "miniprogram.id",          [C_MP_ACT] = "miniprogram.activity",
	[C_MP_REQ] = "miniprogram.requests",   [C_SEARCH] = "search.query",
	[C_MESSAGE] = "content.message",       [C_POST] = "content.post",
	[C_COMMENT] = "content.comment",       [C_NAME] = "profile.name",
	[C_CONTACTS] = "contacts",             [C_TEL_UI] = "telemetry.ui",
	[C_TEL_APP] = "telemetry.app",         [C_IDENTITY] = "identity",
	[C_MEDIA] = "content.media",           [C_ADDRESSEE] = "contacts.addressee",
};

static bool id_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_' || *s == '.' || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static int find(const char *id, size_t n)
{
	for (size_t i = 0; i < ntab; i++)
		if (strlen(tab[i].id) == n && !memcmp(tab[i].id, id, n))
			return (int)i;
	return -1;
}

static void parse(void)
{
	size_t n = mml_taxonomy_builtin_data_len;
	store = malloc(n + 1);
	if (!store) {
		snprintf(tax_err, sizeof tax_err, "out of memory");
		return;
	}
	memcpy(store, mml_taxonomy_builtin_data, n);
	store[n] = 0;
	size_t pos = 0;
	uint32_t lineno = 0;
	const char *line;
	size_t len;
	while (mml_line_next(store, n, &pos, &lineno, &line, &len)) {
		if (!len || line[0] == '#')
			continue;
		char *l = (char *)line;
		l[len] = 0; /* the line is ours: the copy is writable */
		char *t1 = strchr(l, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (!t1 || !t2 || ntab >= TAX_MAX) {
			snprintf(tax_err, sizeof tax_err, "taxonomy.tsv:%u: want id<TAB>parent<TAB>label", lineno);
			ntab = 0;
			return;
		}
		*t1 = *t2 = 0;
		tax_ent *e = &tab[ntab];
		e->id = l;
		e->parent = strcmp(t1 + 1, "-") ? t1 + 1 : "";
		e->label = t2 + 1;
		size_t pl = strlen(e->parent);
		if (!id_ok(e->id) || find(e->id, strlen(e->id)) >= 0 ||
		    (pl && (find(e->parent, pl) < 0 || strncmp(e->id, e->parent, pl) || e->id[pl] != '.'))) {
			snprintf(tax_err, sizeof tax_err, "taxonomy.tsv:%u: bad or duplicate id '%s' (parent '%s')", lineno,
			         e->id, e->parent);
			ntab = 0;
			return;
		}
		ntab++;
	}
	for (int c = 0; c < C__COUNT; c++) {
		cat_ix[c] = find(well_known[c], strlen(well_known[c]));
		if (cat_ix[c] < 0) {
			snprintf(tax_err, sizeof tax_err, "taxonomy.tsv lacks the category %s", well_known[c]);
			ntab = 0;
			return;
		}
	}
}

static void init(void) { pthread_once(&once, parse); }

bool tax_resolve_builtin(char *errbuf, size_t errcap)
{
	init();
	if (!ntab) {
		if (errbuf && errcap)
			snprintf(errbuf, errcap, "%s", tax_err[0] ? tax_err : "empty taxonomy");
		return false;
	}
	return true;
}

int tax_index_n(const char *id, size_t n)
{
	init();
	return id ? find(id, n) : -1;
}

int tax_index(const char *id) { return id ? tax_index_n(id, strlen(id)) : -1; }

const char *tax_id(int idx)
{
	init();
	return idx >= 0 && (size_t)idx < ntab ? tab[idx].id : NULL;
}

size_t mml_taxonomy_count(void)
{
	init();
	return ntab;
}

const char *mml_taxonomy_id(size_t i)
{
	init();
	return i < ntab ? tab[i].id : NULL;
}

const char *mml_taxonomy_parent(const char *id)
{
	int i = tax_index(id);
	return i < 0 ? NULL : tab[i].parent;
}

const char *mml_taxonomy_label(const char *id)
{
	int i = tax_index(id);
	return i < 0 ? NULL : tab[i].label;
}
