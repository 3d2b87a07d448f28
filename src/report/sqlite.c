/*
 * sqlite.c - the report database (docs/REPORT_DB.md): the sessions,
 * flows, policy verdicts and findings of many runs appended to one
 * SQLite file, for SQL questions across captures.
 *
 * Contract: the file is created with mode 0600 before SQLite opens it
 * (it holds personal data) and an existing one is narrowed to 0600; the
 * schema is created IF NOT EXISTS and schema_version checked, so runs
 * append. One run is one transaction (mml_db_begin .. mml_db_commit): a
 * run that fails leaves nothing behind. Every row of a run references
 * its `inputs` row. All values go through prepared statements (bound,
 * never formatted into SQL). With redact, finding values are stored as
 * "redacted". Memory: O(1) per row; SQLite's own cache aside.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mmlens/report.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS inputs (\n"
	"  id INTEGER PRIMARY KEY, path TEXT NOT NULL, kind TEXT NOT NULL,\n"
	"  run_time TEXT NOT NULL, policy TEXT, redacted INTEGER NOT NULL);\n"
	"CREATE TABLE IF NOT EXISTS sessions (\n"
	"  id INTEGER PRIMARY KEY, input_id INTEGER NOT NULL REFERENCES inputs(id),\n"
	"  idx INTEGER NOT NULL, first_msg INTEGER NOT NULL, last_msg INTEGER NOT NULL,\n"
	"  messages INTEGER NOT NULL, start_ts INTEGER, end_ts INTEGER,\n"
	"  opened_by TEXT NOT NULL, opener_req_type INTEGER,\n"
	"  scenario TEXT, features TEXT, permissions TEXT, region TEXT,\n"
	"  app_version TEXT, logged_out INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS flows (\n"
	"  id INTEGER PRIMARY KEY, input_id INTEGER NOT NULL REFERENCES inputs(id),\n"
	"  session_id INTEGER NOT NULL REFERENCES sessions(id),\n"
	"  party TEXT NOT NULL, attributed INTEGER NOT NULL, category TEXT NOT NULL,\n"
	"  context TEXT NOT NULL, api TEXT, findings INTEGER NOT NULL,\n"
	"  messages INTEGER, first_msg INTEGER, last_msg INTEGER, first_ts INTEGER, last_ts INTEGER);\n"
	"CREATE TABLE IF NOT EXISTS verdicts (\n"
	"  id INTEGER PRIMARY KEY, input_id INTEGER NOT NULL REFERENCES inputs(id),\n"
	"  session_id INTEGER NOT NULL REFERENCES sessions(id),\n"
	"  party TEXT NOT NULL, attributed INTEGER NOT NULL, category TEXT NOT NULL,\n"
	"  context TEXT NOT NULL, verdict TEXT NOT NULL, statement TEXT, section TEXT,\n"
	"  statement_party TEXT, quote TEXT, findings INTEGER NOT NULL,\n"
	"  policy TEXT, policy_why TEXT, api_unknown INTEGER, apis TEXT, judgement TEXT);\n"
	"CREATE TABLE IF NOT EXISTS findings (\n"
	"  id INTEGER PRIMARY KEY, input_id INTEGER NOT NULL REFERENCES inputs(id),\n"
	"  session_id INTEGER REFERENCES sessions(id), msg INTEGER NOT NULL, ts INTEGER,\n"
	"  party TEXT NOT NULL, attributed INTEGER NOT NULL, context TEXT NOT NULL, api TEXT,\n"
	"  category TEXT NOT NULL, path TEXT, detector TEXT, confidence REAL,\n"
	"  placeholder INTEGER NOT NULL, value TEXT);\n"
	"CREATE INDEX IF NOT EXISTS sessions_input ON sessions(input_id, idx);\n"
	"CREATE INDEX IF NOT EXISTS flows_session ON flows(session_id, category);\n"
	"CREATE INDEX IF NOT EXISTS verdicts_session ON verdicts(session_id, verdict);\n"
	"CREATE INDEX IF NOT EXISTS findings_session ON findings(session_id, category);\n"
	"CREATE INDEX IF NOT EXISTS findings_input_msg ON findings(input_id, msg);\n";

enum { S_INPUT, S_SESSION, S_LINK, S_FLOW, S_VERDICT, S_FINDING, S_SESS_UPD, S__N };
static const char *const stmt_sql[S__N] = {
	"INSERT INTO inputs (path, kind, run_time, policy, redacted) VALUES (?1, ?2, ?3, ?4, ?5)",
	"INSERT INTO sessions (input_id, idx, first_msg, last_msg, messages, start_ts, end_ts, opened_by,"
	" opener_req_type, scenario, features, permissions, region, app_version, logged_out)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?15, ?16)",
	"UPDATE findings SET session_id = ?1 WHERE input_id = ?2 AND msg BETWEEN ?3 AND ?4"
	" AND session_id IS NULL",
	"INSERT INTO flows (input_id, session_id, party, attributed, category, context, api, findings, messages,"
	" first_msg, last_msg, first_ts, last_ts) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
	"INSERT INTO verdicts (input_id, session_id, party, attributed, category, context, verdict, statement,"
	" section, statement_party, quote, findings, policy, policy_why, api_unknown, apis, judgement)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
	"INSERT INTO findings (input_id, msg, ts, party, attributed, context, api, category, path, detector,"
	" confidence, placeholder, value, session_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
	" ?14)",
	"UPDATE sessions SET input_id = ?1, idx = ?2, first_msg = ?3, last_msg = ?4, messages = ?5, start_ts = ?6,"
	" end_ts = ?7, opened_by = ?8, opener_req_type = ?9, scenario = ?10, features = ?11, permissions = ?12,"
	" region = ?13, app_version = ?15, logged_out = ?16 WHERE id = ?14",
};

struct mml_db {
	sqlite3 *h;
	sqlite3_stmt *st[S__N];
	int64_t input_id;
	bool in_tx, redact;
	uint64_t open_idx;      /* the session whose row was made ahead for its findings, 0 none */
	int64_t open_id;        /* ... and that row's id */
	uint64_t unlinked;      /* findings stored without a session */
	char msg[256];
};

const char *mml_db_errmsg(const mml_db *db) { return db->msg; }
int64_t mml_db_input_id(const mml_db *db) { return db->input_id; }

static mml_err fail(mml_db *db, const char *what)
{
	snprintf(db->msg, sizeof db->msg, "%s: %s", what, sqlite3_errmsg(db->h));
	return MML_E_IO;
}

static mml_err exec(mml_db *db, const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db->h, sql, NULL, NULL, &e) != SQLITE_OK) {
		snprintf(db->msg, sizeof db->msg, "%s", e ? e : "SQLite error");
		sqlite3_free(e);
		return MML_E_IO;
	}
	return MML_OK;
}

/* ALTER TABLE ... ADD COLUMN unless the table has it (a table the CREATE
 * statements just made has every column already). */
static mml_err add_column(mml_db *db, const char *table, const char *col, const char *type)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM pragma_table_info('%s') WHERE name = '%s'", table, col);
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db->h, sql, -1, &q, NULL) != SQLITE_OK)
		return fail(db, "schema");
	int have = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	if (have)
		return MML_OK;
	snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", table, col, type);
	return exec(db, sql);
}

/* The schema version stored, inserting ours into a new file; -1 on error. */
static int schema_version(mml_db *db)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db->h, "SELECT version FROM schema_version", -1, &q, NULL) != SQLITE_OK)
		return -1;
	int v = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
	sqlite3_finalize(q);
	if (v == 0) {
		char sql[80];
		snprintf(sql, sizeof sql, "INSERT INTO schema_version (version) VALUES (%d)", MML_DB_SCHEMA_VERSION);
		if (exec(db, sql) != MML_OK)
			return -1;
		v = MML_DB_SCHEMA_VERSION;
	}
	if (v == 1) { /* version 2 added the session labels */
		if (exec(db, "ALTER TABLE sessions ADD COLUMN scenario TEXT;"
		             "ALTER TABLE sessions ADD COLUMN features TEXT;"
		             "ALTER TABLE sessions ADD COLUMN permissions TEXT;"
		             "ALTER TABLE sessions ADD COLUMN region TEXT;"
		             "ALTER TABLE flows ADD COLUMN messages INTEGER;"
		             "ALTER TABLE flows ADD COLUMN first_msg INTEGER;"
		             "ALTER TABLE flows ADD COLUMN last_msg INTEGER;"
		             "ALTER TABLE flows ADD COLUMN first_ts INTEGER;"
		             "ALTER TABLE flows ADD COLUMN last_ts INTEGER;"
		             "UPDATE schema_version SET version = 2") != MML_OK)
			return -1;
		v = 2;
	}
	if (v == 2) { /* version 3 added judged verdicts (docs/POLICY.md) and session versions */
		static const char *const cols[][3] = {
			{"sessions", "app_version", "TEXT"},  {"sessions", "logged_out", "INTEGER"},
			{"verdicts", "policy", "TEXT"},       {"verdicts", "policy_why", "TEXT"},
			{"verdicts", "api_unknown", "INTEGER"}, {"verdicts", "apis", "TEXT"},
			{"verdicts", "judgement", "TEXT"},
		};
		for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
			if (add_column(db, cols[i][0], cols[i][1], cols[i][2]) != MML_OK)
				return -1;
		if (exec(db, "UPDATE schema_version SET version = 3") != MML_OK)
			return -1;
		v = 3;
	}
	return v;
}

mml_db *mml_db_open(const char *path, char *ebuf, size_t ebuf_len)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(ebuf, ebuf_len, "cannot create: %s", strerror(errno));
		return NULL;
	}
	(void)fchmod(fd, 0600); /* an existing file keeps no wider mode */
	close(fd);
	mml_db *db = calloc(1, sizeof *db);
	if (!db) {
		snprintf(ebuf, ebuf_len, "out of memory");
		return NULL;
	}
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(ebuf, ebuf_len, "%s", db->h ? sqlite3_errmsg(db->h) : "cannot open");
		mml_db_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db->h, 5000);
	int v = -1;
	if (exec(db, "PRAGMA foreign_keys = ON; PRAGMA page_size = 16384") == MML_OK && exec(db, "BEGIN IMMEDIATE") == MML_OK &&
	    exec(db, schema_sql) == MML_OK && (v = schema_version(db)) >= 0 && exec(db, "COMMIT") == MML_OK) {
		if (v != MML_DB_SCHEMA_VERSION) {
			snprintf(ebuf, ebuf_len, "schema version %d, this mmlens writes %d", v, MML_DB_SCHEMA_VERSION);
			mml_db_close(db);
			return NULL;
		}
	} else {
		snprintf(ebuf, ebuf_len, "%s", db->msg[0] ? db->msg : sqlite3_errmsg(db->h));
		mml_db_close(db);
		return NULL;
	}
	for (int i = 0; i < S__N; i++) {
		if (sqlite3_prepare_v2(db->h, stmt_sql[i], -1, &db->st[i], NULL) != SQLITE_OK) {
			snprintf(ebuf, ebuf_len, "%s", sqlite3_errmsg(db->h));
			mml_db_close(db);
			return NULL;
		}
	}
	return db;
}

static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static mml_err step(mml_db *db, int which, const char *what)
{
	sqlite3_stmt *q = db->st[which];
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? MML_OK : fail(db, what);
}

mml_err mml_db_begin(mml_db *db, const char *input_path, const char *kind, const char *policy, bool redact)
{
	MML_RETURN_IF_ERR(exec(db, "BEGIN IMMEDIATE"));
	db->in_tx = true;
	db->redact = redact;
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	sqlite3_stmt *q = db->st[S_INPUT];
	bind_text(q, 1, input_path);
	bind_text(q, 2, kind);
	bind_text(q, 3, when);
	bind_text(q, 4, policy);
	sqlite3_bind_int(q, 5, redact);
	MML_RETURN_IF_ERR(step(db, S_INPUT, "inputs"));
	db->input_id = sqlite3_last_insert_rowid(db->h);
	db->open_idx = 0;
	db->unlinked = 0;
	return MML_OK;
}

/* The row of session idx, made ahead (placeholder values, set when the
 * session is added) so that its findings are linked as they are stored. */
static mml_err session_ahead(mml_db *db, uint64_t idx, uint64_t msg)
{
	if (db->open_idx == idx)
		return MML_OK;
	sqlite3_stmt *q = db->st[S_SESSION];
	sqlite3_bind_int64(q, 1, db->input_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)idx);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)msg);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)msg);
	sqlite3_bind_int64(q, 5, 0);
	sqlite3_bind_text(q, 8, "open", -1, SQLITE_STATIC);
	MML_RETURN_IF_ERR(step(db, S_SESSION, "sessions"));
	db->open_idx = idx;
	db->open_id = sqlite3_last_insert_rowid(db->h);
	return MML_OK;
}

mml_err mml_db_add_finding(mml_db *db, const mml_db_finding *df)
{
	if (df->session)
		MML_RETURN_IF_ERR(session_ahead(db, df->session, df->msg));
	else
		db->unlinked++;
	sqlite3_stmt *q = db->st[S_FINDING];
	if (df->session)
		sqlite3_bind_int64(q, 14, db->open_id);
	const mml_finding *f = df->f;
	sqlite3_bind_int64(q, 1, db->input_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)df->msg);
	if (df->has_ts)
		sqlite3_bind_int64(q, 3, df->ts);
	bind_text(q, 4, mml_party_name(df->party));
	sqlite3_bind_int(q, 5, df->attributed);
	bind_text(q, 6, mml_feature_name(df->feature));
	bind_text(q, 7, df->api);
	bind_text(q, 8, f->category);
	bind_text(q, 9, f->path);
	bind_text(q, 10, f->detector);
	sqlite3_bind_double(q, 11, f->confidence);
	sqlite3_bind_int(q, 12, f->placeholder);
	if (db->redact)
		bind_text(q, 13, "redacted");
	else if (f->value)
		sqlite3_bind_text(q, 13, f->value, (int)(f->value_len > 1u << 30 ? 1u << 30 : f->value_len),
		                  SQLITE_STATIC); /* stepped before f changes */
	return step(db, S_FINDING, "findings");
}

typedef struct vctx {
	mml_db *db;
	int64_t sid;
	mml_err e;
} vctx;

/* One judged flow (src/analyze/audit.c) as a verdicts row; the whole
 * judgement as its JSON text (the same members `mmlens audit` writes). */
static void add_verdict(void *ctx, const mml_audit_row *r)
{
	vctx *x = ctx;
	mml_db *db = x->db;
	if (x->e != MML_OK)
		return;
	const mml_judgement *j = &r->j;
	const mml_policy_stmt *ps = j->v == MML_VERDICT_UNDETERMINED ? NULL : j->st;
	sqlite3_stmt *q = db->st[S_VERDICT];
	sqlite3_bind_int64(q, 1, db->input_id);
	sqlite3_bind_int64(q, 2, x->sid);
	bind_text(q, 3, mml_party_name(r->party));
	sqlite3_bind_int(q, 4, r->attributed);
	bind_text(q, 5, r->category);
	bind_text(q, 6, mml_feature_name(r->feature));
	bind_text(q, 7, mml_verdict_name(j->v));
	bind_text(q, 8, ps ? ps->id : NULL);
	bind_text(q, 9, ps ? ps->section : NULL);
	bind_text(q, 10, ps ? mml_party_name(ps->party) : NULL);
	bind_text(q, 11, ps ? ps->quote : NULL);
	sqlite3_bind_int64(q, 12, (sqlite3_int64)r->count);
	bind_text(q, 13, j->pol ? j->pol->name : NULL);
	bind_text(q, 14, j->policy_why);
	sqlite3_bind_int(q, 15, r->ntypes > 0);
	char *txt = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&txt, &len);
	if (mem) {
		for (size_t i = 0; i < r->napis; i++)
			fprintf(mem, "%s%s", i ? "," : "", r->apis[i]);
		for (size_t i = 0; i < r->ntypes; i++)
			fprintf(mem, "%s%lld", i || r->napis ? "," : "", (long long)r->req_types[i]);
		fclose(mem);
		sqlite3_bind_text(q, 16, txt, -1, free);
	}
	txt = NULL;
	mem = open_memstream(&txt, &len);
	if (mem) {
		mml_lw lw;
		mml_jw w;
		mml_jw_begin(&w, &lw, mem);
		mml_jw_obj(&w);
		mml_judgement_json(&w, j, r->session);
		mml_jw_close(&w);
		mml_jw_end(&w);
		fclose(mem);
		sqlite3_bind_text(q, 17, txt, -1, free);
	}
	x->e = step(db, S_VERDICT, "verdicts");
}

/* A label list as one comma-separated text (NULL when not given); false when out of memory. */
static bool bind_list(sqlite3_stmt *q, int i, char *const *v, size_t n, bool given)
{
	if (!given) {
		sqlite3_bind_null(q, i);
		return true;
	}
	size_t len = 1;
	for (size_t k = 0; k < n; k++)
		len += strlen(v[k]) + 1;
	char *t = malloc(len), *p = t;
	if (!t)
		return false;
	*p = 0;
	for (size_t k = 0; k < n; k++)
		p += sprintf(p, "%s%s", k ? "," : "", v[k]);
	sqlite3_bind_text(q, i, t, -1, free);
	return true;
}

mml_err mml_db_add_session(mml_db *db, const mml_session *s, const mml_label *label, const mml_flows *flows,
                           const mml_policyset *ps, const mml_attrib *attrib)
{
	bool ahead = db->open_idx && db->open_idx == s->index;
	sqlite3_stmt *q = db->st[ahead ? S_SESS_UPD : S_SESSION];
	if (ahead)
		sqlite3_bind_int64(q, 14, db->open_id);
	sqlite3_bind_int64(q, 1, db->input_id);
	sqlite3_bind_int64(q, 2, (sqlite3_int64)s->index);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)s->first);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)s->last);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)s->messages);
	if (s->has_ts) {
		sqlite3_bind_int64(q, 6, s->start_ts);
		sqlite3_bind_int64(q, 7, s->end_ts);
	}
	bind_text(q, 8, mml_sess_why_name(s->why));
	if (s->opener >= 0)
		sqlite3_bind_int64(q, 9, s->opener);
	if (label) {
		bind_text(q, 10, label->scenario);
		if (!bind_list(q, 11, label->features, label->nfeatures, label->nfeatures > 0) ||
		    !bind_list(q, 12, label->permissions, label->npermissions, label->permissions_given)) {
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			snprintf(db->msg, sizeof db->msg, "sessions: out of memory");
			return MML_E_NOMEM;
		}
		bind_text(q, 13, label->region);
	}
	bind_text(q, 15, s->app_version[0] ? s->app_version : NULL);
	sqlite3_bind_int(q, 16, s->logged_out);
	MML_RETURN_IF_ERR(step(db, ahead ? S_SESS_UPD : S_SESSION, "sessions"));
	int64_t sid = ahead ? db->open_id : sqlite3_last_insert_rowid(db->h);
	if (ahead)
		db->open_idx = 0;
	if (db->unlinked) { /* findings of messages whose session was not known when they were stored */
		q = db->st[S_LINK];
		sqlite3_bind_int64(q, 1, sid);
		sqlite3_bind_int64(q, 2, db->input_id);
		sqlite3_bind_int64(q, 3, (sqlite3_int64)s->first);
		sqlite3_bind_int64(q, 4, (sqlite3_int64)s->last);
		MML_RETURN_IF_ERR(step(db, S_LINK, "findings"));
		uint64_t ch = (uint64_t)sqlite3_changes(db->h);
		db->unlinked -= ch < db->unlinked ? ch : db->unlinked;
	}
	for (size_t i = 0; i < flows->n; i++) {
		const mml_flow_rec *r = &flows->rec[i];
		q = db->st[S_FLOW];
		sqlite3_bind_int64(q, 1, db->input_id);
		sqlite3_bind_int64(q, 2, sid);
		bind_text(q, 3, mml_party_name(r->party));
		sqlite3_bind_int(q, 4, r->attributed);
		bind_text(q, 5, r->category);
		bind_text(q, 6, mml_feature_name(r->feature));
		bind_text(q, 7, r->api);
		sqlite3_bind_int64(q, 8, (sqlite3_int64)r->count);
		sqlite3_bind_int64(q, 9, (sqlite3_int64)r->msgs);
		sqlite3_bind_int64(q, 10, (sqlite3_int64)r->first_msg);
		sqlite3_bind_int64(q, 11, (sqlite3_int64)r->last_msg);
		if (r->has_ts) {
			sqlite3_bind_int64(q, 12, r->first_ts);
			sqlite3_bind_int64(q, 13, r->last_ts);
		}
		MML_RETURN_IF_ERR(step(db, S_FLOW, "flows"));
	}
	if (ps) {
		vctx x = {db, sid, MML_OK};
		MML_RETURN_IF_ERR(mml_audit_flows(ps, attrib, flows, s->index, label, add_verdict, &x));
		return x.e;
	}
	return MML_OK;
}

mml_err mml_db_commit(mml_db *db)
{
	MML_RETURN_IF_ERR(exec(db, "COMMIT"));
	db->in_tx = false;
	return MML_OK;
}

void mml_db_close(mml_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < S__N; i++)
		sqlite3_finalize(db->st[i]);
	if (db->in_tx)
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db->h);
	free(db);
}
