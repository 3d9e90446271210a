/* CSV reading: quoting, line ends, line numbers, malformed input, column
 * references (ntk_table_parse / ntk_table_read / ntk_table_find_column). */
#include <string.h>

#include "ntk/dataset.h"
#include "testutil.h"

static ntk_table *parse_opt(const char *s, size_t len, char delim, int header)
{
    ntk_read_options o;
    ntk_read_options_init(&o);
    o.delimiter = delim;
    o.has_header = header;
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_table_parse(s, len, "mem.csv", &o, &t, &err);
    ck_assert_msg(st == NTK_OK, "parse failed: %s", err.msg);
    ck_assert_ptr_nonnull(t);
    return t;
}

static ntk_table *parse(const char *s) { return parse_opt(s, strlen(s), ',', 1); }

/* Parsing must fail with NTK_EINPUT and a one-line message containing each
 * of the given substrings (NULL-terminated list). */
static void parse_fail_n(const char *s, size_t len, char delim, const char *want1,
                         const char *want2)
{
    ntk_read_options o;
    ntk_read_options_init(&o);
    o.delimiter = delim;
    ntk_table *t = (ntk_table *)0x1;
    ntk_error err;
    ntk_error_clear(&err);
    ntk_status st = ntk_table_parse(s, len, "mem.csv", &o, &t, &err);
    ck_assert_int_eq(st, NTK_EINPUT);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err.msg, "mem.csv") != NULL, "message lacks file name: %s", err.msg);
    ck_assert_msg(strchr(err.msg, '\n') == NULL, "message has a newline: %s", err.msg);
    if (want1)
        ck_assert_msg(strstr(err.msg, want1) != NULL, "message '%s' lacks '%s'", err.msg, want1);
    if (want2)
        ck_assert_msg(strstr(err.msg, want2) != NULL, "message '%s' lacks '%s'", err.msg, want2);
}

static void parse_fail(const char *s, const char *want1, const char *want2)
{
    parse_fail_n(s, strlen(s), ',', want1, want2);
}

static const char *cell(const ntk_table *t, size_t r, size_t c) { return t->cells[r * t->n_cols + c]; }

START_TEST(test_basic)
{
    ntk_table *t = parse("a,b,c\n1,2,3\n4,5,6\n");
    ck_assert_uint_eq(t->n_rows, 2);
    ck_assert_uint_eq(t->n_cols, 3);
    ck_assert_str_eq(t->names[0], "a");
    ck_assert_str_eq(t->names[2], "c");
    ck_assert_str_eq(cell(t, 0, 0), "1");
    ck_assert_str_eq(cell(t, 1, 2), "6");
    ck_assert_uint_eq(t->line[0], 2);
    ck_assert_uint_eq(t->line[1], 3);
    ck_assert_str_eq(t->path, "mem.csv");
    ntk_table_free(t);
}
END_TEST

START_TEST(test_quoting)
{
    ntk_table *t = parse("\"a\",\"b \"\"q\"\"\"\n\"x \"\"y\"\"\",\"1,5\"\n\"\",\"NA\"\n");
    ck_assert_str_eq(t->names[0], "a");
    ck_assert_str_eq(t->names[1], "b \"q\"");
    ck_assert_str_eq(cell(t, 0, 0), "x \"y\"");
    ck_assert_str_eq(cell(t, 0, 1), "1,5");
    ck_assert_str_eq(cell(t, 1, 0), "");
    ck_assert_str_eq(cell(t, 1, 1), "NA");
    ntk_table_free(t);
}
END_TEST

START_TEST(test_embedded_newlines_and_lines)
{
    /* Record 1 spans lines 2-4; record 2 is on line 5; a blank line 6; record 3 on 7. */
    ntk_table *t = parse("a,b\n\"one\ntwo\nthree\",1\n4,5\n\n6,7\n");
    ck_assert_uint_eq(t->n_rows, 3);
    ck_assert_str_eq(cell(t, 0, 0), "one\ntwo\nthree");
    ck_assert_uint_eq(t->line[0], 2);
    ck_assert_uint_eq(t->line[1], 5);
    ck_assert_uint_eq(t->line[2], 7);
    ntk_table_free(t);
    /* A record whose SECOND field holds the newlines still starts on its line. */
    t = parse("a,b\n1,\"x\ny\"\n2,3\n");
    ck_assert_uint_eq(t->line[0], 2);
    ck_assert_uint_eq(t->line[1], 4);
    ntk_table_free(t);
}
END_TEST

START_TEST(test_crlf_bom_cr)
{
    ntk_table *t = parse("\xEF\xBB\xBF" "a,b\r\n1,2\r\n\"x\r\ny\",3\r\n4,5\r\n");
    ck_assert_str_eq(t->names[0], "a");
    ck_assert_uint_eq(t->n_rows, 3);
    ck_assert_str_eq(cell(t, 0, 1), "2");
    ck_assert_str_eq(cell(t, 1, 0), "x\r\ny");
    ck_assert_uint_eq(t->line[1], 3);
    ck_assert_uint_eq(t->line[2], 5);
    ntk_table_free(t);
    /* Old Mac line ends (bare CR). */
    t = parse("a,b\r1,2\r3,4\r");
    ck_assert_uint_eq(t->n_rows, 2);
    ck_assert_uint_eq(t->line[1], 3);
    ntk_table_free(t);
    /* A bare CR inside a LF file ends a record without starting a new line
     * (found by the fuzzer: line numbers are non-decreasing, not increasing). */
    t = parse("a,b\n1,2\r3,4\n5,6\n");
    ck_assert_uint_eq(t->n_rows, 3);
    ck_assert_uint_eq(t->line[0], 2);
    ck_assert_uint_eq(t->line[1], 2);
    ck_assert_uint_eq(t->line[2], 3);
    ntk_table_free(t);
    /* No newline at the end. */
    t = parse("a,b\n1,2");
    ck_assert_uint_eq(t->n_rows, 1);
    ck_assert_str_eq(cell(t, 0, 1), "2");
    ntk_table_free(t);
}
END_TEST

START_TEST(test_spaces_and_empty_names)
{
    ntk_table *t = parse(",,x\n  1 , two words ,\" 3 \"\n");
    ck_assert_str_eq(t->names[0], "");
    ck_assert_str_eq(t->names[1], "");
    ck_assert_str_eq(cell(t, 0, 0), "1");
    ck_assert_str_eq(cell(t, 0, 1), "two words");
    ck_assert_str_eq(cell(t, 0, 2), " 3 ");
    ntk_table_free(t);
}
END_TEST

START_TEST(test_delimiters)
{
    const char *s = "\tf1\tclase\n1\t0.5\t1\n2\t-0.5\t0\n";
    ntk_table *t = parse_opt(s, strlen(s), '\t', 1);
    ck_assert_uint_eq(t->n_cols, 3);
    ck_assert_str_eq(t->names[0], "");
    ck_assert_str_eq(t->names[1], "f1");
    ck_assert_str_eq(cell(t, 1, 1), "-0.5");
    ntk_table_free(t);
    s = "a;b\n\"1;2\";3,5\n";
    t = parse_opt(s, strlen(s), ';', 1);
    ck_assert_str_eq(cell(t, 0, 0), "1;2");
    ck_assert_str_eq(cell(t, 0, 1), "3,5");
    ntk_table_free(t);
    /* Tab-separated with empty fields. */
    s = "a\tb\tc\n1\t\t3\n";
    t = parse_opt(s, strlen(s), '\t', 1);
    ck_assert_str_eq(cell(t, 0, 1), "");
    ck_assert_str_eq(cell(t, 0, 2), "3");
    ntk_table_free(t);
}
END_TEST

START_TEST(test_no_header)
{
    const char *s = "1,2\n3,4\n";
    ntk_table *t = parse_opt(s, strlen(s), ',', 0);
    ck_assert_uint_eq(t->n_rows, 2);
    ck_assert_str_eq(t->names[0], "");
    ck_assert_str_eq(t->names[1], "");
    ck_assert_uint_eq(t->line[0], 1);
    ck_assert_str_eq(cell(t, 1, 0), "3");
    ntk_table_free(t);
}
END_TEST

START_TEST(test_errors_structure)
{
    parse_fail("", "empty file", NULL);
    parse_fail("\n\n  \n", "empty file", NULL);
    parse_fail("\xEF\xBB\xBF", "empty file", NULL);
    parse_fail("a,b\n", "no data rows", "line 1");
    parse_fail("a,b,c\n1,2,3\n1,2\n", "line 3: expected 3 fields, found 2", NULL);
    parse_fail("a,b\n1,2\n1,2,3\n", "line 3: expected 2 fields, found 3", NULL);
    /* Line numbers count newlines inside quoted fields. */
    parse_fail("a,b\n\"x\ny\",1\n1,2,3\n", "line 4: expected 2 fields", NULL);
    parse_fail("a,b,a\n1,2,3\n", "duplicate column name 'a'", "columns 1 and 3");
    parse_fail("x,\"y\",\"y\"\n1,2,3\n", "line 1", "'y'");
}
END_TEST

START_TEST(test_errors_quotes)
{
    parse_fail("a,b\n1,\"abc\n2,3\n", "line 2, column 2", "unterminated");
    parse_fail("a,b\n1,2\n\"x\ny\",\"open\n\n", "line 4, column 2", "unterminated");
    parse_fail("a,b\n1,ab\"c\n", "line 2, column 2", "quote");
    parse_fail("a,b\n\"x\"y,1\n", "line 2, column 1", "after the closing quote");
    parse_fail("a,b\n\"x\ny\"z,1\n", "line 3, column 1", NULL);
}
END_TEST

START_TEST(test_errors_nul)
{
    const char s[] = "a,b\n1,2\n3,x\0y\n";
    parse_fail_n(s, sizeof s - 1, ',', "line 3, column 2", "NUL");
    const char s2[] = "a\0,b\n1,2\n";
    parse_fail_n(s2, sizeof s2 - 1, ',', "line 1, column 1", "NUL");
}
END_TEST

START_TEST(test_long_fields)
{
    size_t big = (size_t)1 << 20;
    char *s = malloc(big + 64);
    /* Exactly 1 MiB is accepted. */
    strcpy(s, "a,b\n1,");
    size_t o = strlen(s);
    memset(s + o, 'x', big);
    o += big;
    s[o++] = '\n';
    ntk_table *t = parse_opt(s, o, ',', 1);
    ck_assert_uint_eq(strlen(cell(t, 0, 1)), big);
    ntk_table_free(t);
    /* One byte more is an error, quoted or not. */
    strcpy(s, "a,b\n1,\"");
    o = strlen(s);
    memset(s + o, 'x', big + 1);
    o += big + 1;
    s[o++] = '"';
    s[o++] = '\n';
    parse_fail_n(s, o, ',', "line 2, column 2", "field too long");
    /* An unterminated quote swallowing more than 1 MiB of lines. */
    strcpy(s, "a,b\n1,\"");
    o = strlen(s);
    for (size_t i = 0; i < big + 10; i++)
        s[o++] = i % 50 == 49 ? '\n' : 'y';
    parse_fail_n(s, o, ',', "line 2, column 2", "unterminated");
    free(s);
}
END_TEST

START_TEST(test_message_escaping)
{
    ntk_read_options o;
    ntk_read_options_init(&o);
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    const char *s = "a,b\n1,x\x01\"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n";
    ck_assert_int_eq(ntk_table_parse(s, strlen(s), "mem.csv", &o, &t, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "\\x01") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "...") != NULL, "%s", err.msg);
    ck_assert_msg(strlen(err.msg) < 300, "%s", err.msg);
}
END_TEST

START_TEST(test_read_files)
{
    ntk_table *t = NULL;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_table_read("tests/data/does-not-exist.csv", NULL, &t, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "cannot open tests/data/does-not-exist.csv") != NULL, "%s",
                  err.msg);
    ck_assert_int_eq(ntk_table_read("tests", NULL, &t, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "cannot open tests") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "directory") != NULL, "%s", err.msg);
    ck_assert_int_eq(ntk_table_read("data/iris.csv", NULL, &t, &err), NTK_OK);
    ck_assert_uint_eq(t->n_rows, 150);
    ck_assert_str_eq(t->path, "data/iris.csv");
    ntk_table_free(t);
}
END_TEST

START_TEST(test_find_column)
{
    ntk_table *t = parse("x,3,y,\n1,2,3,4\n");
    size_t j = 99;
    ntk_error err;
    ntk_error_clear(&err);
    ck_assert_int_eq(ntk_table_find_column(t, "y", &j, &err), NTK_OK);
    ck_assert_uint_eq(j, 2);
    ck_assert_int_eq(ntk_table_find_column(t, "1", &j, &err), NTK_OK);
    ck_assert_uint_eq(j, 0);
    /* A column literally named "3" wins over index 3. */
    ck_assert_int_eq(ntk_table_find_column(t, "3", &j, &err), NTK_OK);
    ck_assert_uint_eq(j, 1);
    /* The unnamed 4th column by index. */
    ck_assert_int_eq(ntk_table_find_column(t, "4", &j, &err), NTK_OK);
    ck_assert_uint_eq(j, 3);
    ck_assert_int_eq(ntk_table_find_column(t, "5", &j, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "out of range") != NULL, "%s", err.msg);
    ck_assert_int_eq(ntk_table_find_column(t, "0", &j, &err), NTK_EINPUT);
    ck_assert_int_eq(ntk_table_find_column(t, "", &j, &err), NTK_EINPUT);
    ck_assert_int_eq(ntk_table_find_column(t, "z", &j, &err), NTK_EINPUT);
    ck_assert_msg(strstr(err.msg, "'z'") != NULL, "%s", err.msg);
    ck_assert_msg(strstr(err.msg, "'x'") != NULL, "lists the columns: %s", err.msg);
    ntk_table_free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dataset_read");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_basic);
    tcase_add_test(tc, test_quoting);
    tcase_add_test(tc, test_embedded_newlines_and_lines);
    tcase_add_test(tc, test_crlf_bom_cr);
    tcase_add_test(tc, test_spaces_and_empty_names);
    tcase_add_test(tc, test_delimiters);
    tcase_add_test(tc, test_no_header);
    tcase_add_test(tc, test_errors_structure);
    tcase_add_test(tc, test_errors_quotes);
    tcase_add_test(tc, test_errors_nul);
    tcase_add_test(tc, test_long_fields);
    tcase_add_test(tc, test_message_escaping);
    tcase_add_test(tc, test_read_files);
    tcase_add_test(tc, test_find_column);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
