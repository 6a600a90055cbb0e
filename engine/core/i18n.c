/*
 * i18n.c - the gettext look-up behind the library's messages (i18n.h).
 *
 * The catalogue is bound once: when the program has bound the domain
 * itself (the command binds its build tree's catalogue, or the one of its
 * relocated prefix), that binding stays; otherwise the installed
 * GS_LOCALEDIR is used. Translations are always UTF-8, as are the file
 * names and values messages quote.
 */
#define _POSIX_C_SOURCE 200809L
#include <libintl.h>
#include <pthread.h>
#include <string.h>

#include "i18n.h"

#ifndef GS_LOCALEDIR
#define GS_LOCALEDIR "/usr/share/locale"
#endif

static pthread_once_t bound = PTHREAD_ONCE_INIT;

static void bind_domain(void) {
    /* glibc answers the default folder for a domain nobody bound. */
    const char *cur = bindtextdomain(GS_TEXTDOMAIN, NULL);
    if (!cur || !strcmp(cur, "/usr/share/locale"))
        bindtextdomain(GS_TEXTDOMAIN, GS_LOCALEDIR);
    bind_textdomain_codeset(GS_TEXTDOMAIN, "UTF-8");
}

const char *gs__tr(const char *msgid) {
    if (!msgid || !*msgid) return msgid;
    pthread_once(&bound, bind_domain);
    return dgettext(GS_TEXTDOMAIN, msgid);
}
