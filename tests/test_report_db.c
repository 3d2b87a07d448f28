/*
 * test_report_db.c - `mmlens report --db` (src/report/sqlite.c,
 * src/cli/report.c): two inputs (a real log and a simulated capture)
 * appended to one database, the example queries of docs/REPORT_DB.md
 * run verbatim and their answers checked, mode 0600, --redact, usage.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "test.h"
#include "util.h"

/* The example queries, verbatim as in docs/REPORT_DB.md. */
static const char q_learned[] =
	"SELECT f.msg, datetime(COALESCE(f.ts, s.start_ts), 'unixepoch') AS time, f.category, f.context, f.api, f.path\n"
	"FROM findings f JOIN sessions s ON s.id = f.session_id\n"
	"WHERE s.input_id = :input AND s.idx = :session AND f.party IN ('wechat', 'weixin')\n"
	"ORDER BY f.msg, f.category, f.path;\n";
static const char q_location[] =
	"SELECT b.category, b.party, b.context, SUM(b.findings) AS findings\n"
	"FROM flows b JOIN sessions sb ON sb.id = b.session_id\n"
	"WHERE sb.input_id = :input_b AND sb.idx = :session_b\n"
	"  AND NOT EXISTS (SELECT 1 FROM flows a JOIN sessions sa ON sa.id = a.session_id\n"
	"                  WHERE sa.input_id = :input_a AND sa.idx = :session_a AND a.category = b.category)\n"
	"GROUP BY b.category, b.party, b.context\n"
	"ORDER BY b.category, b.party, b.context;\n";
static const char q_policy[] =
	"SELECT v.party, v.category, v.context, v.verdict, v.statement, v.section, f.msg, f.api, f.path\n"
	"FROM verdicts v JOIN sessions s ON s.id = v.session_id\n"
	"LEFT JOIN findings f ON f.session_id = v.session_id AND f.party = v.party AND f.attributed = v.attributed\n"
	"     AND f.category = v.category AND f.context = v.context\n"
	"WHERE s.input_id = :input AND s.idx = :session AND v.verdict <> 'disclosed'\n"
	"ORDER BY v.verdict, v.category, f.msg;\n";

static const char q_timeline[] =
	"SELECT f.category, f.party, f.context, SUM(f.messages) AS messages, SUM(f.findings) AS findings,\n"
	"       MIN(f.first_msg) AS first_msg, MAX(f.last_msg) AS last_msg,\n"
	"       datetime(MIN(f.first_ts), 'unixepoch') AS first_time, datetime(MAX(f.last_ts), 'unixepoch') AS last_time\n"
	"FROM flows f JOIN sessions s ON s.id = f.session_id\n"
	"WHERE s.input_id = :input AND s.idx = :session\n"
	"GROUP BY f.category, f.party, f.context\n"
	"ORDER BY MIN(f.first_msg), f.category;\n";

static const char *real_log(void) { return mml_test_data("wechat-logs/startup_permissions_on_2.log.jsonl"); }

static int run_report(char **argv) { return t_cmd_quiet(mml_cmd_report, argv); }

/* Rows of a query as "col|col|..." lines in one malloc'd string ("" when none). */
static char *query(sqlite3 *db, const char *sql, const char *const *names, const long long *vals)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return NULL;
	for (size_t i = 0; names && names[i]; i++)
		sqlite3_bind_int64(q, sqlite3_bind_parameter_index(q, names[i]), vals[i]);
	size_t len = 0, cap = 1024;
	char *out = malloc(cap);
	if (!out) {
		sqlite3_finalize(q);
		return NULL;
	}
	out[0] = 0;
	while (sqlite3_step(q) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(q); c++) {
			const char *t = (const char *)sqlite3_column_text(q, c);
			size_t need = len + (t ? strlen(t) : 4) + 3;
			if (need > cap) {
				char *n = realloc(out, cap = need * 2);
				if (!n)
					break;
				out = n;
			}
			len += (size_t)sprintf(out + len, "%s%s", c ? "|" : "", t ? t : "NULL");
		}
		if (len + 2 > cap) {
			char *n = realloc(out, cap = cap * 2 + 2);
			if (!n)
				break;
			out = n;
		}
		out[len++] = '\n';
		out[len] = 0;
	}
	sqlite3_finalize(q);
	return out;
}

static long long count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	long long n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return n;
}

static int nlines_with(const char *rows, const char *needle)
{
	int n = 0;
	for (const char *p = rows; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

TEST(report_db_docs_hold_queries)
{
	char *doc = t_slurp("docs/REPORT_DB.md", NULL);
	REQUIRE(doc);
	const char *qs[] = {q_learned, q_location, q_policy, q_timeline};
	for (size_t i = 0; i < 4; i++) {
		if (!strstr(doc, qs[i]))
			mml_test_fail(__FILE__, __LINE__, "docs/REPORT_DB.md lacks query %zu verbatim", i + 1);
	}
	free(doc);
}

TEST(report_db_two_inputs_queries)
{
	char dbp[600], pcap[512], keys[512], truth[512];
	snprintf(dbp, sizeof dbp, "%s/report.db", mml_test_tmpdir());
	REQUIRE(t_simulate("repdb", "--scenario startup --location off --seed 3", pcap, keys, truth, sizeof pcap) == 0);
	char *a1[] = {"report", "--db", dbp, "--policy", "wechat", (char *)real_log(), NULL};
	CHECK_EQ(run_report(a1), 0);
	char *a2[] = {"report", "--db", dbp, "--policy", "wechat", "-k", keys, pcap, NULL};
	CHECK_EQ(run_report(a2), 0);
	struct stat sb;
	REQUIRE(stat(dbp, &sb) == 0);
	CHECK_EQ(sb.st_mode & 0777, 0600);
	sqlite3 *db;
	REQUIRE(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK_EQ(count(db, "SELECT version FROM schema_version"), 3);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM inputs"), 2);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM inputs WHERE id = 1 AND kind = 'log' AND policy = 'wechat'"), 1);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM inputs WHERE id = 2 AND kind = 'capture'"), 1);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM sessions WHERE input_id = 1"), 5);
	CHECK(count(db, "SELECT COUNT(*) FROM sessions WHERE input_id = 2") >= 1);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM findings WHERE session_id IS NULL"), 0);
	CHECK(count(db, "SELECT COUNT(*) FROM findings WHERE input_id = 2") > 0);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'"), 5);

	/* What did WeChat learn in session 5 of the log, and when? */
	const char *n1[] = {":input", ":session", NULL};
	long long v1[] = {1, 5};
	char *rows = query(db, q_learned, n1, v1);
	REQUIRE(rows);
	CHECK(strstr(rows, "296|2023-05-18 12:58:49|location.coordinates|"));
	CHECK(strstr(rows, "297|2023-05-18 12:58:49|location.coordinates|"));
	CHECK(strstr(rows, "304|2023-05-18 12:58:49|location.coordinates|"));
	CHECK_EQ(nlines_with(rows, "|location.coordinates|"), 3);
	free(rows);

	/* The timeline of session 5: when the coordinates were sent, and how often */
	rows = query(db, q_timeline, n1, v1);
	REQUIRE(rows);
	CHECK(strstr(rows, "location.coordinates|weixin|search|3|3|296|304|2023-05-18 12:58:49|2023-05-18 12:58:49\n"));
	free(rows);

	/* Location permission: simulated startup without (input 2) vs log session 5 (with). */
	long long sim_last = count(db, "SELECT MAX(idx) FROM sessions WHERE input_id = 2");
	const char *n2[] = {":input_a", ":session_a", ":input_b", ":session_b", NULL};
	long long v2[] = {2, sim_last, 1, 5};
	rows = query(db, q_location, n2, v2);
	REQUIRE(rows);
	CHECK(strstr(rows, "location.coordinates|weixin|"));
	CHECK(!strstr(rows, "identity.device|"));
	free(rows);
	long long v2r[] = {1, 5, 2, sim_last};
	rows = query(db, q_location, n2, v2r);
	REQUIRE(rows);
	CHECK(!strstr(rows, "location."));
	free(rows);

	/* Does the policy tell me this? Session 4 of the log: the Mini Program flows. */
	long long v3[] = {1, 4};
	rows = query(db, q_policy, n1, v3);
	REQUIRE(rows);
	CHECK(strstr(rows, "wechat|miniprogram.id|miniprograms|other_party|mp-third-party|"
	                   "Mini Programs / third-party services|"));
	CHECK(strstr(rows, "wechat|miniprogram.id|telemetry|omitted|NULL|NULL|245|"));
	CHECK(strstr(rows, "wechat|miniprogram.activity|telemetry|omitted|NULL|NULL|245|"));
	CHECK(!strstr(rows, "|disclosed|"));
	free(rows);
	sqlite3_close(db);
}

TEST(report_db_redact_and_usage)
{
	char dbp[600];
	snprintf(dbp, sizeof dbp, "%s/redact.db", mml_test_tmpdir());
	char *a[] = {"report", "--db", dbp, "--redact", "--policy", "none", (char *)real_log(), NULL};
	CHECK_EQ(run_report(a), 0);
	sqlite3 *db;
	REQUIRE(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK(count(db, "SELECT COUNT(*) FROM findings") > 0);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM findings WHERE value IS NOT 'redacted'"), 0);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM inputs WHERE redacted = 1 AND policy IS NULL"), 1);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM verdicts"), 0);
	sqlite3_close(db);

	char *nodb[] = {"report", (char *)real_log(), NULL};
	CHECK_EQ(run_report(nodb), MML_EXIT_USAGE);
	char missing[600];
	snprintf(missing, sizeof missing, "%s/no-such.log", mml_test_tmpdir());
	char *bad[] = {"report", "--db", dbp, missing, NULL};
	CHECK_EQ(run_report(bad), MML_EXIT_INPUT);
	REQUIRE(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM inputs"), 1); /* a failed run leaves nothing */
	sqlite3_close(db);
}

/* Every finding linked to the session holding its message; no session row left half made. */
static void check_links(sqlite3 *db)
{
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM findings WHERE session_id IS NULL"), 0);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM sessions WHERE opened_by = 'open'"), 0);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM findings f JOIN sessions s ON s.id = f.session_id"
	                   " WHERE f.msg < s.first_msg OR f.msg > s.last_msg OR f.input_id <> s.input_id"),
	         0);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM sessions s WHERE messages <> last_msg - first_msg + 1"), 0);
}

TEST(report_db_links_findings_across_time_jumps)
{
	/* The real log with every request type made a plain one: sessions are
	 * then split by payload times alone, after jumps the splitter holds
	 * tentatively - the findings of those messages are linked late. */
	char logp[600], dbp[600];
	snprintf(logp, sizeof logp, "%s/notypes.log.jsonl", mml_test_tmpdir());
	snprintf(dbp, sizeof dbp, "%s/links.db", mml_test_tmpdir());
	FILE *in = fopen(real_log(), "r"), *out = fopen(logp, "w");
	REQUIRE(in && out);
	char *line = NULL;
	size_t lcap = 0, lines = 0;
	while (getline(&line, &lcap, in) > 0) {
		char *p = strstr(line, "\"req_id\": ");
		if (p) {
			char *e = p + 10;
			while (*e >= '0' && *e <= '9')
				e++;
			fprintf(out, "%.*s\"req_id\": 1%s", (int)(p - line), line, e);
		} else {
			fputs(line, out);
		}
		lines++;
	}
	free(line);
	fclose(in);
	fclose(out);
	CHECK_EQ(lines, 304);
	remove(dbp);
	char *a[] = {"report", "--db", dbp, logp, NULL};
	CHECK_EQ(run_report(a), 0);
	char *b[] = {"report", "--db", dbp, (char *)real_log(), NULL};
	CHECK_EQ(run_report(b), 0);
	sqlite3 *db;
	REQUIRE(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM sessions WHERE input_id = 1 AND opened_by = 'time_jump'"), 2);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM sessions WHERE input_id = 2"), 5);
	CHECK(count(db, "SELECT COUNT(*) FROM findings WHERE input_id = 1") > 500);
	check_links(db);
	mml_test_note("%lld findings linked over %lld sessions", count(db, "SELECT COUNT(*) FROM findings"),
	              count(db, "SELECT COUNT(*) FROM sessions"));
	sqlite3_close(db);
}

TEST(report_db_upgrades_version_1)
{
	/* A database written by the version 1 schema (before session labels and
	 * flow timelines) is upgraded in place and keeps its rows. */
	static const char v1[] =
		"CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1);"
		"CREATE TABLE inputs (id INTEGER PRIMARY KEY, path TEXT NOT NULL, kind TEXT NOT NULL,"
		" run_time TEXT NOT NULL, policy TEXT, redacted INTEGER NOT NULL);"
		"INSERT INTO inputs VALUES (1, 'old.log', 'log', '2026-01-01T00:00:00Z', NULL, 0);"
		"CREATE TABLE sessions (id INTEGER PRIMARY KEY, input_id INTEGER NOT NULL REFERENCES inputs(id),"
		" idx INTEGER NOT NULL, first_msg INTEGER NOT NULL, last_msg INTEGER NOT NULL,"
		" messages INTEGER NOT NULL, start_ts INTEGER, end_ts INTEGER, opened_by TEXT NOT NULL, opener_req_type INTEGER);"
		"INSERT INTO sessions VALUES (1, 1, 1, 1, 10, 10, NULL, NULL, 'first', NULL);"
		"CREATE TABLE flows (id INTEGER PRIMARY KEY, input_id INTEGER NOT NULL REFERENCES inputs(id),"
		" session_id INTEGER NOT NULL REFERENCES sessions(id), party TEXT NOT NULL, attributed INTEGER NOT NULL,"
		" category TEXT NOT NULL, context TEXT NOT NULL, api TEXT, findings INTEGER NOT NULL);"
		"INSERT INTO flows VALUES (1, 1, 1, 'wechat', 1, 'device.info', 'any', NULL, 4);";
	char dbp[600];
	snprintf(dbp, sizeof dbp, "%s/v1.db", mml_test_tmpdir());
	remove(dbp);
	sqlite3 *db;
	REQUIRE(sqlite3_open(dbp, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, v1, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	char *a[] = {"report", "--db", dbp, "--label", "5:scenario=location on", (char *)real_log(), NULL};
	CHECK_EQ(run_report(a), 0);
	REQUIRE(sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	CHECK_EQ(count(db, "SELECT version FROM schema_version"), 3);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM inputs"), 2);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM flows WHERE input_id = 1 AND findings = 4 AND messages IS NULL"), 1);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM sessions WHERE input_id = 2 AND idx = 5 AND scenario = 'location on'"), 1);
	CHECK_EQ(count(db, "SELECT COUNT(*) FROM (SELECT SUM(messages) AS m, MIN(first_msg) AS a, MAX(last_msg) AS b"
	                   " FROM flows WHERE input_id = 2 AND category = 'location.coordinates')"
	                   " WHERE m = 3 AND a = 296 AND b = 304"),
	         1);
	check_links(db);
	sqlite3_close(db);
}
