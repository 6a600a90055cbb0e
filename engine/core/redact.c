/*
 * redact.c - the one rule that keeps passwords out of messages, outputs,
 * metadata, the ledger and the report (redact.h says where it is used).
 *
 * Two passes over a text. The first finds passwords by their form: the
 * value of a `password` key as libpq writes it (password=VALUE up to white
 * space, or password='VALUE' with \' and \\ escapes; after ? or & in a
 * URI also up to the next & or #), and the password of a URI's
 * user:password@host. The second replaces every known secret wherever it
 * stands, since a password may also reach a message in another form (a
 * shell-quoted command line, a library's own wording): the value of
 * PGPASSWORD, the passwords of libpq's service files and password file,
 * read once, and every password the first pass has met. Secrets shorter
 * than four bytes are only redacted by form: replacing "ab" in every
 * message would make messages unreadable without hiding anything.
 */
#define _POSIX_C_SOURCE 200809L
#include "redact.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gridsmith/gridsmith.h"
#include "mem.h"

#define MAX_SECRETS 64
#define MIN_LITERAL 4

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *secrets[MAX_SECRETS];
static int n_secrets;

/* Remembers `s` (n bytes) as a secret when it is long enough and new.
 * Best effort: without memory or room it is only redacted by form. */
static void add_secret(const char *s, size_t n) {
    char *c;
    if (n < MIN_LITERAL) return;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_secrets; i++)
        if (strlen(secrets[i]) == n && !memcmp(secrets[i], s, n)) goto done;
    if (n_secrets == MAX_SECRETS) goto done;
    /* Not gs__malloc: kept for the life of the process, and not an
     * allocation the failure tests should count. */
    c = malloc(n + 1);
    if (!c) goto done;
    memcpy(c, s, n);
    c[n] = '\0';
    secrets[n_secrets++] = c;
done:
    pthread_mutex_unlock(&lock);
}

/* The passwords of a service file: `password=VALUE` lines (the value runs
 * to the end of the line). */
static void read_service_file(const char *path) {
    char line[1024];
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        char *p = line, *e;
        while (*p == ' ' || *p == '\t') p++;
        if (strncmp(p, "password", 8) != 0) continue;
        p += 8;
        while (*p == ' ' || *p == '\t') p++;
        if (*p++ != '=') continue;
        while (*p == ' ' || *p == '\t') p++;
        e = p + strlen(p);
        while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
                         e[-1] == '\t'))
            e--;
        add_secret(p, (size_t)(e - p));
    }
    fclose(f);
}

/* The passwords of a password file: the fifth of host:port:db:user:pw,
 * with \: and \\ escapes. */
static void read_pass_file(const char *path) {
    char line[1024], pw[1024];
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f) return;
    while (fgets(line, sizeof line, f)) {
        int field = 0;
        size_t n = 0;
        if (line[0] == '#') continue;
        for (const char *p = line; *p && *p != '\n' && *p != '\r'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                if (field == 4 && n + 1 < sizeof pw) pw[n++] = *p;
            } else if (*p == ':' && field < 4) {
                field++;
            } else if (field == 4 && n + 1 < sizeof pw) {
                pw[n++] = *p;
            }
        }
        if (field == 4) add_secret(pw, n);
    }
    fclose(f);
}

/* getenv(name), or $HOME/home_name, or `fallback`, into buf. */
static const char *file_of(const char *name, const char *home_name,
                           const char *fallback, char *buf, size_t size) {
    const char *v = getenv(name), *home = getenv("HOME");
    if (v && v[0]) return v;
    if (home_name && home && home[0]) {
        snprintf(buf, size, "%s/%s", home, home_name);
        return buf;
    }
    return fallback;
}

static void load_secrets(void) {
    char buf[1024];
    const char *pw = getenv("PGPASSWORD"), *sys = getenv("PGSYSCONFDIR");
    if (pw) add_secret(pw, strlen(pw));
    read_service_file(
        file_of("PGSERVICEFILE", ".pg_service.conf", NULL, buf, sizeof buf));
    if (sys && sys[0]) {
        snprintf(buf, sizeof buf, "%s/pg_service.conf", sys);
        read_service_file(buf);
    } else {
        /* Debian's libpq looks here when PGSYSCONFDIR is not set. */
        read_service_file("/etc/postgresql-common/pg_service.conf");
    }
    read_pass_file(file_of("PGPASSFILE", ".pgpass", NULL, buf, sizeof buf));
}

static int is_word(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

static int is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* At s[i] a `password` key with its '=' ? Then [*a, *b) is its value
 * (without quotes), the value copied unescaped into val (*vn bytes) and
 * the end of the key-value pair returned; else 0. */
static size_t password_value(const char *s, size_t i, size_t *a, size_t *b,
                             char *val, size_t vsize, size_t *vn) {
    size_t j = i + 8, n = 0;
    char before = i ? s[i - 1] : ' ';
    int uri = before == '?' || before == '&';
    if (strncasecmp(s + i, "password", 8) != 0 || is_word(before)) return 0;
    while (s[j] == ' ' || s[j] == '\t') j++;
    if (s[j] != '=') return 0;
    j++;
    while (s[j] == ' ' || s[j] == '\t') j++;
    if (s[j] == '\'') {
        *a = ++j;
        while (s[j] && s[j] != '\'') {
            if (s[j] == '\\' && s[j + 1]) j++;
            if (n + 1 < vsize) val[n++] = s[j];
            j++;
        }
        *b = j;
        if (s[j] == '\'') j++;
    } else {
        *a = j;
        while (s[j] && !is_space(s[j]) && s[j] != '\'' && s[j] != '"' &&
               !(uri && (s[j] == '&' || s[j] == '#'))) {
            if (s[j] == '\\' && s[j + 1]) j++;
            if (n + 1 < vsize) val[n++] = s[j];
            j++;
        }
        *b = j;
    }
    *vn = n;
    return j;
}

/* At s[i] "://" of a URI with user:password@? Then [*a, *b) is the
 * password; else 0. */
static size_t uri_password(const char *s, size_t i, size_t *a, size_t *b) {
    size_t j = i + 3, colon = 0, at = 0;
    if (strncmp(s + i, "://", 3) != 0) return 0;
    for (; s[j] && !is_space(s[j]) && s[j] != '/' && s[j] != '?' &&
           s[j] != '#' && s[j] != '\'' && s[j] != '"';
         j++) {
        if (s[j] == ':' && !colon && !at) colon = j;
        if (s[j] == '@') at = j;
    }
    if (!at || !colon || colon > at) return 0;
    *a = colon + 1;
    *b = at;
    return at;
}

/* The number of secrets known now; those stay put, so the caller may
 * read secrets[0..n-1] without the lock. */
static int known_secrets(void) {
    int n;
    pthread_mutex_lock(&lock);
    n = n_secrets;
    pthread_mutex_unlock(&lock);
    return n;
}

/* Appends n bytes of s at out[*o] when they fit (size - 1 at most). */
static void put(char *out, size_t size, size_t *o, const char *s, size_t n) {
    for (size_t k = 0; k < n; k++, (*o)++)
        if (*o + 1 < size) out[*o] = s[k];
}

/* Writes the redacted `text` into out[size] (cut to fit, NUL-terminated
 * when size > 0) and returns its whole length, as snprintf does.
 * Allocates nothing, so a message about running out of memory is
 * redacted too. */
static size_t redact_into(const char *text, char *out, size_t size) {
    size_t i = 0, o = 0;
    int known;
    pthread_once(&once, load_secrets);
    known = known_secrets();
    while (text[i]) {
        size_t a, b, end, vn = 0;
        char val[512];
        int k;
        end = password_value(text, i, &a, &b, val, sizeof val, &vn);
        if (!end) end = uri_password(text, i, &a, &b);
        if (end && b > a) {
            if (vn) add_secret(val, vn);
            put(out, size, &o, text + i, a - i);
            put(out, size, &o, GS__REDACTED, strlen(GS__REDACTED));
            put(out, size, &o, text + b, end - b);
            i = end > b ? end : b;
            continue;
        }
        for (k = 0; k < known; k++) {
            size_t n = strlen(secrets[k]);
            if (text[i] == secrets[k][0] && !strncmp(text + i, secrets[k], n))
                break;
        }
        if (k < known) {
            put(out, size, &o, GS__REDACTED, strlen(GS__REDACTED));
            i += strlen(secrets[k]);
            continue;
        }
        put(out, size, &o, text + i, 1);
        i++;
    }
    if (size) out[o < size ? o : size - 1] = '\0';
    return o;
}

char *gs__redact(const char *text) {
    size_t n;
    char *r;
    if (!text) return NULL;
    n = redact_into(text, NULL, 0);
    r = gs__malloc(n + 1);
    if (r) redact_into(text, r, n + 1);
    return r;
}

void gs__redact_buf(char *buf, size_t size) {
    char tmp[4096], *r = tmp;
    size_t n;
    if (!buf || !size) return;
    n = redact_into(buf, tmp, sizeof tmp);
    if (n >= sizeof tmp) {
        r = malloc(n + 1); /* rare: a message of more than 4 KiB */
        if (!r) {
            snprintf(buf, size, "%s", GS__REDACTED);
            return;
        }
        redact_into(buf, r, n + 1);
    }
    snprintf(buf, size, "%s", r);
    if (r != tmp) free(r);
}

int gs__redact_json(json_object *obj) {
    int rc = 0;
    switch (json_object_get_type(obj)) {
        case json_type_string: {
            const char *s = json_object_get_string(obj);
            char *r = gs__redact(s);
            if (!r) return -1;
            if (strcmp(r, s) != 0 && json_object_set_string(obj, r) != 1)
                rc = -1;
            free(r);
            return rc;
        }
        case json_type_object: {
            json_object_object_foreach(obj, key, val) {
                (void)key;
                if (gs__redact_json(val)) rc = -1;
            }
            return rc;
        }
        case json_type_array: {
            size_t n = json_object_array_length(obj);
            for (size_t k = 0; k < n; k++)
                if (gs__redact_json(json_object_array_get_idx(obj, k))) rc = -1;
            return rc;
        }
        default: return 0;
    }
}

char *gs_redact(const char *text) { return gs__redact(text); }
