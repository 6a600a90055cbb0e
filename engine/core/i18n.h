/*
 * i18n.h - the library's messages in the user's language (i18n.c).
 *
 * Messages are translated where they are made, at the central sinks
 * (gs__err, gs__err_lib, gs__warn, gs__optfmt), never at the call sites:
 * each takes the English format, looks it up in the "gridsmith" gettext
 * catalogue (po/zh_CN.po) and formats the translation. The program
 * chooses the language (setlocale) and may bind the catalogue's folder
 * first; otherwise the library binds the installed one.
 */
#ifndef GS_I18N_H
#define GS_I18N_H

/* The gettext domain of the library's and the command's messages. */
#define GS_TEXTDOMAIN "gridsmith"

/* `msgid` in the current LC_MESSAGES language, or `msgid` itself. */
const char *gs__tr(const char *msgid) __attribute__((format_arg(1)));

#endif /* GS_I18N_H */
