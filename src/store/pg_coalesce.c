/* pg_coalesce.c - in a batch unit (pg_pipeline.c), consecutive runs of one
 * write sent as ONE statement over arrays, so that a claim of hundreds of
 * recipients or a batch of hundreds of ends costs a statement per kind of
 * write, not one per row: each statement has its own bind, portal and
 * executor start and end. Unpaced dispatch on PostgreSQL rose by a third
 * (docs/benchmarks.md, lever 10).
 *
 * A statement's twin is written from its text once per connection:
 *
 *   INSERT INTO t(a, b) VALUES (?1, ?2) ON CONFLICT ...
 *     -> INSERT INTO t(a, b) SELECT j.p1, j.p2 FROM ROWS ORDER BY j.ord
 *        ON CONFLICT ...
 *   UPDATE t SET a = ?2 WHERE seq = ?1 AND ...
 *     -> UPDATE t SET a = j.p2 FROM ROWS WHERE seq = j.p1 AND ...
 *   DELETE FROM t WHERE k = ?1 -> DELETE FROM t USING ROWS WHERE k = j.p1
 *
 *   where ROWS is (SELECT * FROM unnest(?1, ?2) WITH ORDINALITY AS
 *   u(p1, p2, ord) LIMIT ?3) AS j
 *
 * each ?k an array of the held rows' k-th values. The twin does what the
 * rows done one after the other would do, which holds only for some
 * statements; a statement has no twin (and is sent as before) unless:
 *
 * - its text reads no table (no SELECT): each row's write depends on that
 *   row's own columns and its parameters, not on what the run's earlier
 *   rows wrote;
 * - an UPDATE names its row by a unique key first (`WHERE seq = ?k` or
 *   `WHERE id = ?k` of a table whose seq and id are unique, KEYED), and a
 *   run holds no two rows with the same key: two rows' updates of one row
 *   would be applied once. A DELETE of a row twice deletes it once either
 *   way; two INSERTs of one key fail or conflict either way.
 *
 * Rows that the unit took as changing exactly one row (pg_changed_one)
 * are checked together: the twin must change as many rows as it holds,
 * else the unit is redone (c->redo), row by row. A run where only some
 * rows were so taken is sent row by row, as are short runs (TWIN_MIN_ROWS)
 * and runs whose parameters' types are not all known. */
#include "store/pg_internal.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_MAX 256 /* rows held at most: a run's arrays stay small */
/* Fewer rows go one by one: a twin's plan (a join of the rows to the
 * table) costs PostgreSQL more to start and end than the statements it
 * saves while a run is short. The paced engine at 1,000 calls/s writes
 * runs of about eight: 0.79-0.80 cores of PostgreSQL with twins from two
 * rows, 0.69 from sixteen (as without twins); unpaced dispatch, runs of
 * hundreds, the same from either. */
#define TWIN_MIN_ROWS 16
#define TWIN_SQL_MAX 65536

#define INT8OID 20
#define TEXTOID 25
#define FLOAT8OID 701
#define INT8ARRAYOID 1016
#define TEXTARRAYOID 1009
#define FLOAT8ARRAYOID 1022

/* Tables whose key column names one row at most. */
static const struct {
    const char *table, *column;
} KEYED[] = {
    {"calls", "seq"},      {"calls", "id"},      {"messages", "seq"},  {"messages", "id"},
    {"recipients", "seq"}, {"recipients", "id"}, {"campaigns", "seq"}, {"campaigns", "id"},
    {"events", "seq"},     {"events", "id"},     {"meta", "key"},
};

/* Appends text[0 .. n) with every ?k written j.pk (a quoted literal as it
 * is). */
static void put_rows_params(struct buf *b, const char *text, size_t n) {
    int quoted = 0;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\'')
            quoted = !quoted;
        if (!quoted && text[i] == '?' && i + 1 < n && text[i + 1] >= '0' && text[i + 1] <= '9') {
            buf_appends(b, "j.p");
            continue;
        }
        buf_append(b, &text[i], 1);
    }
}

/* The run's rows as j(p1, ..., pn, ord). The LIMIT (?n+1, the number of
 * rows) is there for the planner: it takes an unnest of a parameter for
 * 100 rows, and for so many joined a hash of a whole scan of the table to
 * an index lookup per row (1.7 ms for six marks at 11,000 calls); a LIMIT
 * it cannot read it takes for a tenth of that. */
static void put_rows(struct buf *b, int nparams) {
    buf_appends(b, "(SELECT * FROM unnest(");
    for (int k = 1; k <= nparams; k++)
        buf_printf(b, "%s?%d", k > 1 ? ", " : "", k);
    buf_appends(b, ") WITH ORDINALITY AS u(");
    for (int k = 1; k <= nparams; k++)
        buf_printf(b, "p%d, ", k);
    buf_printf(b, "ord) LIMIT ?%d) AS j", nparams + 1);
}

/* Occurrences of " FROM " not part of "IS [NOT] DISTINCT FROM". */
static int froms(const char *sql) {
    int n = 0;
    for (const char *p = strstr(sql, " FROM "); p; p = strstr(p + 1, " FROM "))
        if (p - sql < 8 || strncmp(p - 8, "DISTINCT", 8) != 0)
            n++;
    return n;
}

/* The k of `<column> = ?k` at the start of where when (table, column) is
 * KEYED; 0 otherwise. */
static int key_param(const char *table, size_t table_len, const char *where) {
    for (size_t i = 0; i < sizeof KEYED / sizeof KEYED[0]; i++) {
        size_t clen = strlen(KEYED[i].column);
        if (strlen(KEYED[i].table) != table_len || strncmp(KEYED[i].table, table, table_len) != 0 ||
            strncmp(where, KEYED[i].column, clen) != 0 || strncmp(where + clen, " = ?", 4) != 0)
            continue;
        char *end;
        long k = strtol(where + clen + 4, &end, 10);
        if (k > 0 && (*end == ' ' || *end == '\0'))
            return (int)k;
    }
    return 0;
}

static char *twin_insert(struct buf *b, const char *sql, int nparams) {
    const char *values = strstr(sql, " VALUES (");
    if (!values)
        return NULL;
    const char *open = values + 8, *p = open;
    int depth = 0, quoted = 0;
    for (; *p; p++) {
        if (*p == '\'')
            quoted = !quoted;
        if (quoted)
            continue;
        if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            break;
    }
    if (!*p || strncmp(p + 1, ", (", 3) == 0 || strncmp(p + 1, ",(", 2) == 0)
        return NULL; /* unbalanced, or several rows already */
    buf_append(b, sql, (size_t)(values - sql));
    buf_appends(b, " SELECT ");
    put_rows_params(b, open + 1, (size_t)(p - open - 1));
    buf_appends(b, " FROM ");
    put_rows(b, nparams);
    buf_appends(b, " ORDER BY j.ord");
    buf_appends(b, p + 1);
    return buf_steal(b);
}

/* An UPDATE's or a DELETE's twin: its text up to where, the rows joined
 * by keyword (FROM, USING), then its WHERE, each ?k written j.pk. */
static char *join_rows(struct buf *b, const char *sql, const char *where, const char *keyword,
                       int nparams) {
    put_rows_params(b, sql, (size_t)(where - sql));
    buf_appends(b, keyword);
    put_rows(b, nparams);
    put_rows_params(b, where, strlen(where));
    return buf_steal(b);
}

static char *twin_update(struct buf *b, const char *sql, int nparams, int *key) {
    const char *table = sql + 7, *where = strstr(sql, " WHERE ");
    size_t table_len = strcspn(table, " ");
    if (!where || froms(sql) > 0)
        return NULL;
    *key = key_param(table, table_len, where + 7);
    if (!*key)
        return NULL;
    return join_rows(b, sql, where, " FROM ", nparams);
}

static char *twin_delete(struct buf *b, const char *sql, int nparams) {
    const char *where = strstr(sql, " WHERE ");
    if (!where || strstr(sql, " USING ") || froms(sql) > 1)
        return NULL;
    return join_rows(b, sql, where, " USING ", nparams);
}

char *pg_twin_sql(const char *sql, int nparams, int *key) {
    *key = 0;
    while (*sql == ' ' || *sql == '\n')
        sql++;
    if (nparams < 1 || nparams >= PG_MAX_PARAMS || strstr(sql, "SELECT") ||
        strstr(sql, "RETURNING") || strchr(sql, ';'))
        return NULL;
    struct buf b;
    buf_init(&b, TWIN_SQL_MAX);
    char *twin = NULL;
    if (strncmp(sql, "INSERT INTO ", 12) == 0)
        twin = twin_insert(&b, sql, nparams);
    else if (strncmp(sql, "UPDATE ", 7) == 0)
        twin = twin_update(&b, sql, nparams, key);
    else if (strncmp(sql, "DELETE FROM ", 12) == 0)
        twin = twin_delete(&b, sql, nparams);
    buf_free(&b);
    if (twin && strlen(twin) + 1 >= TWIN_SQL_MAX) {
        free(twin); /* cut at the cap: not a statement to send */
        twin = NULL;
    }
    return twin;
}

/* ---- the run held on a connection ---- */

/* s's twin (made on first use), or NULL when s has none. */
static struct pg_stmt *twin_of(struct pg_conn *c, struct pg_stmt *s) {
    if (s->twin_state == 0) {
        int key = 0;
        char *sql = pg_twin_sql(s->sql, s->nparams, &key);
        s->twin_state = sql ? 1 : -1;
        if (sql) {
            struct pg_stmt *t = xcalloc(1, sizeof *t);
            t->sql = t->owned_sql = sql;
            t->conn = c;
            t->nparams = s->nparams + 1; /* and the LIMIT */
            t->deferrable = 1;
            size_t len = strnlen(s->name, sizeof t->name - 2);
            memcpy(t->name, s->name, len);
            memcpy(t->name + len, "t", 2); /* "s12" -> "s12t" */
            s->twin = t;
            s->twin_key = key;
        }
    }
    return s->twin;
}

/* 1 when the run holds a row whose key parameter equals s's. */
static int key_held(const struct pg_run *r, const struct pg_stmt *s) {
    int k = s->twin_key;
    if (!k)
        return 0;
    const char *mine = s->values[k - 1];
    for (size_t i = 0; i < r->n; i++) {
        const char *v = r->values[i * (size_t)s->nparams + (size_t)(k - 1)];
        if (!mine || !v || strcmp(mine, v) == 0)
            return 1;
    }
    return 0;
}

void pg_run_discard(struct pg_conn *c) {
    struct pg_run *r = &c->run;
    if (r->stmt)
        for (size_t i = 0; i < r->n * (size_t)r->stmt->nparams; i++)
            free(r->values[i]);
    r->stmt = NULL;
    r->n = 0;
    r->mixed = 0;
    memset(r->types, 0, sizeof r->types);
    c->held_last = 0;
}

void pg_run_free(struct pg_conn *c) {
    pg_run_discard(c);
    free(c->run.values);
    free(c->run.expect);
    memset(&c->run, 0, sizeof c->run);
}

int pg_run_take(struct pg_conn *c, struct pg_stmt *s, int *taken) {
    struct pg_run *r = &c->run;
    *taken = 0;
    if (!twin_of(c, s))
        return pg_run_flush(c, 0);
    if (r->stmt && (r->stmt != s || r->n >= RUN_MAX || key_held(r, s))) {
        int rc = pg_run_flush(c, 0);
        if (rc)
            return rc;
    }
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->values = xrealloc(r->values, r->cap * PG_MAX_PARAMS * sizeof *r->values);
        r->expect = xrealloc(r->expect, r->cap);
    }
    r->stmt = s;
    char **row = &r->values[r->n * (size_t)s->nparams];
    for (int k = 0; k < s->nparams; k++) {
        row[k] = s->values[k]; /* the run owns them now */
        s->values[k] = NULL;
        Oid t = s->bound[k];
        if (t && !r->types[k])
            r->types[k] = t;
        else if (t && r->types[k] != t)
            r->mixed = 1;
    }
    r->expect[r->n++] = 0;
    *taken = 1;
    return STORE_OK;
}

void pg_run_mark_last(struct pg_conn *c) {
    if (c->run.n)
        c->run.expect[c->run.n - 1] = 1;
}

static Oid array_type(Oid element) {
    switch (element) {
    case INT8OID:
        return INT8ARRAYOID;
    case TEXTOID:
        return TEXTARRAYOID;
    case FLOAT8OID:
        return FLOAT8ARRAYOID;
    default:
        return 0;
    }
}

/* The array literal of parameter k over the run's rows. */
static char *array_literal(const struct pg_run *r, int k) {
    struct buf b;
    buf_init(&b, (size_t)-1);
    buf_appends(&b, "{");
    for (size_t i = 0; i < r->n; i++) {
        const char *v = r->values[i * (size_t)r->stmt->nparams + (size_t)k];
        if (i)
            buf_appends(&b, ",");
        if (!v) {
            buf_appends(&b, "NULL");
            continue;
        }
        buf_appends(&b, "\"");
        for (const char *p = v; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_appends(&b, "\\");
            buf_append(&b, p, 1);
        }
        buf_appends(&b, "\"");
    }
    buf_appends(&b, "}");
    return buf_steal(&b);
}

/* Sets the twin's parameter types for the run: 0 when they are not all
 * known, or differ from those the twin was prepared with. */
static int twin_types(struct pg_stmt *t, const struct pg_run *r) {
    t->types[t->nparams - 1] = INT8OID; /* the LIMIT */
    for (int k = 0; k < t->nparams - 1; k++) {
        Oid element = r->types[k] ? r->types[k] : r->stmt->types[k];
        Oid a = array_type(element);
        if (!a || (t->prepared && t->types[k] != a))
            return 0;
        t->types[k] = a;
    }
    return 1;
}

int pg_run_flush(struct pg_conn *c, int one_by_one) {
    struct pg_run *r = &c->run;
    struct pg_stmt *s = r->stmt;
    if (!s)
        return STORE_OK;
    if (c->redo) {
        pg_run_discard(c);
        return STORE_EREDO;
    }
    size_t marked = 0;
    for (size_t i = 0; i < r->n; i++)
        marked += r->expect[i];
    int rc = STORE_OK;
    struct pg_stmt *t = s->twin;
    if (!one_by_one && r->n >= TWIN_MIN_ROWS && !r->mixed && (marked == 0 || marked == r->n) &&
        twin_types(t, r)) {
        char *arrays[PG_MAX_PARAMS];
        for (int k = 0; k < t->nparams - 1; k++)
            arrays[k] = array_literal(r, k);
        char limit[24];
        snprintf(limit, sizeof limit, "%zu", r->n);
        arrays[t->nparams - 1] = xstrdup(limit);
        rc = pg_pipeline_send(c, t, arrays, marked ? (long)r->n : -1);
        for (int k = 0; k < t->nparams; k++)
            free(arrays[k]);
        c->coalesced_rows += r->n;
        c->coalesced_statements++;
    } else {
        for (size_t i = 0; i < r->n && rc == STORE_OK; i++)
            rc = pg_pipeline_send(c, s, &r->values[i * (size_t)s->nparams], r->expect[i] ? 1 : -1);
    }
    pg_run_discard(c);
    return rc;
}
