/* Number and string formatting shared by the report writers. */
#ifndef NTK_CLI_FORMAT_H
#define NTK_CLI_FORMAT_H

#include <stdio.h>

/* Shortest decimal text that reads back as exactly x ("inf", "nan" too). */
void cli_fmt_num(char *buf, size_t size, double x);

/* A JSON number (shortest round trip), or null for NaN/±inf. */
void cli_json_num(FILE *f, double x);

/* A JSON string literal with escapes. */
void cli_json_str(FILE *f, const char *s);

/* A CSV field, quoted when it holds a delimiter, quote or newline. */
void cli_csv_field(FILE *f, const char *s);

/* Time as text for headers and tables: "inf" or shortest round trip. */
void cli_fmt_time(char *buf, size_t size, double t);

#endif
