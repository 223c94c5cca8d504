/*
 * cli.h - running one command from the shell (DESIGN.md section 6), printing its results, and
 * getting the password without ever taking it from argv.
 */
#ifndef KV_CLI_H
#define KV_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "command.h"
#include "kv.h"

typedef struct kv_cli_options {
    bool json;            /* one JSON object per key per line */
    bool read_only;       /* every mutation is refused */
    const char *password; /* SASL password or NULL */
} kv_cli_options;

/* A command parsed and, for key operations, built into requests: everything that can fail
 * without a store fails here, before anything is opened or written. */
typedef struct kv_cli_command {
    kv_parsed_command parsed;
    kv_request_list requests;
} kv_cli_command;

/* Parse and build ARGV (argv[0] is the command name). Returns 0 or the exit code after printing
 * the error. *show_help is set when the command was given --help (its usage is printed). */
int kv_cli_prepare(kv_cli_command *command, int argc, char **argv, bool *show_help);
/* Open STORE, run the command, print its results; returns the exit code. */
int kv_cli_execute(kv_cli_command *command, const char *store, const kv_cli_options *options);
void kv_cli_command_free(kv_cli_command *command);

/* ---- output.c ---- */

typedef enum kv_escape_mode {
    KV_ESCAPE_LINE,       /* one line: \n \t \r and backslash are escaped too */
    KV_ESCAPE_KEEP_LAYOUT /* a value on a terminal: \n and \t pass, other controls escaped */
} kv_escape_mode;

/* Write untrusted BYTES so no control character, C1 code, bidi or zero-width character, or
 * invalid UTF-8 reaches the terminal: they become \xNN, \uXXXX or C escapes. */
void kv_output_escaped(FILE *out, const void *bytes, size_t len, kv_escape_mode mode);
/* "kvtui: ErrorName: message" on stderr, the message escaped. */
void kv_output_error(kv_status status, const char *message);
/* The error of a failed RESULT ("KEY: message"). */
void kv_output_result_error(const kv_result *result);
/* A get/lock value: byte for byte (escaped with a final newline on a terminal); pickles as their
 * decoded JSON (or inert display text) with a newline. */
void kv_output_value(FILE *out, const kv_result *result, bool terminal);
/* "KEY<TAB>VALUE" on one line, both escaped (get with several keys). */
void kv_output_key_value_line(FILE *out, const kv_result *result);
/* One object per line: kv_result_to_json(). */
void kv_output_result_json(FILE *out, const kv_result *result);
/* A scanned key: "KEY<TAB>FORMAT<TAB>SIZE<TAB>EXPIRY" or, with JSON, an object. */
void kv_output_key_info(FILE *out, const kv_key_info *info, bool json);

/* ---- password.c ---- */

/*
 * The SASL password: from --password-file FILE (refused unless mode 0600 or stricter), else
 * KVTUI_PASSWORD, else a no-echo prompt on /dev/tty when USERNAME is set; *out NULL when none
 * is needed. The prompt shows USERNAME and HOST escaped. Free with kv_password_free().
 */
kv_status kv_password_obtain(const char *password_file, const char *username, const char *host,
                             char **out, char *errbuf, size_t errbuf_len);
/* Wipe and free. */
void kv_password_free(char *password);

#endif /* KV_CLI_H */
