/*
 * msgapi.h - the imapmsg interface kurier-imapd calls: ENVELOPE,
 * BODYSTRUCTURE, BODY[section], sizes, SEARCH matching and the Date
 * header over the bytes of one message.  imapd/imapmsg.h declares it
 * when that library is in the tree; until then the same declarations
 * stand here and imapd/msgstub.c gives a plain-text stand-in.
 */
#ifndef KURIER_MSGAPI_H
#define KURIER_MSGAPI_H

#if defined(__has_include)
#if __has_include("imapmsg.h")
#include "imapmsg.h"
#define KURIER_HAVE_IMAPMSG 1
#endif
#endif

#ifndef KURIER_HAVE_IMAPMSG
#include <stddef.h>
#include "str.h"
int imapmsg_envelope(const char *msg, size_t len, struct str *out);
int imapmsg_bodystructure(const char *msg, size_t len, int extended, struct str *out);
int imapmsg_section(const char *msg, size_t len, const char *spec, size_t slen, struct str *out);
int imapmsg_size_crlf(const char *msg, size_t len, size_t *out);
int imapmsg_search_header(const char *msg, size_t len, const char *field, size_t flen, const char *needle, size_t nlen);
int imapmsg_search_text(const char *msg, size_t len, const char *needle, size_t nlen, int body_only);
int imapmsg_date(const char *msg, size_t len, long long *t);
int imapmsg_sentday(const char *msg, size_t len, long long *day);
#endif

#endif
