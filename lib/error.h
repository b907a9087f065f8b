/*
 * error - deciding whether a failure is worth retrying.
 */
#ifndef KURIER_ERROR_H
#define KURIER_ERROR_H

/* error_temp - 1 if errno value e is a temporary condition, 0 if permanent */
int error_temp(int e);
/* error_str - a short description of errno value e */
const char *error_str(int e);

#endif
