/*
 * lang.c - the command's language: the locale, the message catalogue and
 * the translated --help.
 *
 * The user's locale chooses the language of messages and help (gettext,
 * domain "gridsmith", the library's too): Chinese under zh_CN, English
 * otherwise. Numbers never follow the locale: LC_NUMERIC stays "C", so
 * the console, CSV and JSON always write 3.5, never 3,5. The catalogue is
 * found beside the binary in the build tree (locale/), in a relocated
 * prefix (../share/locale) or in the installed LOCALEDIR.
 */
#define _GNU_SOURCE
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef GS_LOCALEDIR
#define GS_LOCALEDIR "/usr/share/locale"
#endif

const char *cli_tr(const char *msgid) {
    return msgid && *msgid ? dgettext(CLI_TEXTDOMAIN, msgid) : msgid;
}

/* The locale the environment asks for messages, as setlocale reads it. */
static const char *wanted_messages_locale(void) {
    static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return v;
    }
    return NULL;
}

/* 1 when `dir` holds a gridsmith catalogue for some language we ship. */
static int has_catalogue(const char *dir) {
    char path[PATH_MAX];
    int n = snprintf(path, sizeof path, "%s/zh_CN/LC_MESSAGES/%s.mo", dir,
                     CLI_TEXTDOMAIN);
    return n > 0 && (size_t)n < sizeof path && access(path, R_OK) == 0;
}

/* The folder of the catalogues: beside the binary when run from the build
 * tree, PREFIX/share/locale when installed into a prefix other than the
 * configured one, else the configured LOCALEDIR. */
static void bind_catalogue(void) {
    static char dir[PATH_MAX];
    char exe[PATH_MAX - 32]; /* room for the suffixes below */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        char *slash;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        snprintf(dir, sizeof dir, "%s/locale", exe);
        if (!has_catalogue(dir)) {
            snprintf(dir, sizeof dir, "%s/../share/locale", exe);
            if (!has_catalogue(dir)) dir[0] = '\0';
        }
    }
    bindtextdomain(CLI_TEXTDOMAIN, dir[0] ? dir : GS_LOCALEDIR);
    bind_textdomain_codeset(CLI_TEXTDOMAIN, "UTF-8");
    textdomain(CLI_TEXTDOMAIN);
}

void cli_lang_init(void) {
    if (!setlocale(LC_ALL, "")) {
        /* The locale asked for is not generated here (Debian:
         * locale-gen). Messages can still be in its language: under
         * C.UTF-8 gettext follows LANGUAGE, which the user's own setting
         * keeps precedence over. */
        const char *want = wanted_messages_locale();
        const char *lang = getenv("LANGUAGE");
        if (setlocale(LC_ALL, "C.UTF-8") && want && strcmp(want, "C") &&
            strcmp(want, "POSIX") && (!lang || !*lang))
            setenv("LANGUAGE", want, 1);
    }
    setlocale(LC_NUMERIC, "C");
    bind_catalogue();
}

void cli_help(FILE *fp, const char *help) {
    /* Paragraph by paragraph (blank-line separated), so that a changed
     * line leaves the other paragraphs translated, and the paragraphs the
     * commands share are translated once. */
    const char *p = help;
    while (*p) {
        const char *end = strstr(p, "\n\n");
        size_t n = end ? (size_t)(end - p) + 1 : strlen(p);
        char *para = strndup(p, n);
        if (!para) {
            fputs(p, fp);
            return;
        }
        fputs(cli_tr(para), fp);
        free(para);
        p += n;
        while (*p == '\n') fputc(*p++, fp);
    }
}
