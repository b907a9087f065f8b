/*
 * userdb - the fields of one userdb record.
 * A record is Courier's text form without the address:
 *   field=value|field=value...
 * userdb.cdb maps an address to such a record holding every field except
 * passwords; userdbshadow.cdb maps the same address to a record holding
 * only the password fields (systempw, imappw, pop3pw, esmtppw,
 * hmac-md5pw).  Values cannot contain '|' or newline.
 */
#ifndef KURIER_USERDB_H
#define KURIER_USERDB_H

#include <stddef.h>
#include "str.h"

/* userdb_field - value of field name in rec[0..len) into out; 1 found, 0 absent, -1 no memory */
int userdb_field(const char *rec, size_t len, const char *name, struct str *out);
/* userdb_is_password_field - 1 if name is a field that belongs in the shadow database */
int userdb_is_password_field(const char *name, size_t len);

#endif
