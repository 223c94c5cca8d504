/*
 * command.h - the command language (DESIGN.md section 6): one table of every command.
 *
 * The same table drives the CLI, the TUI's `:` line, keymap files, generated help and Tab
 * completion. A command line is split into words by kv_command_split() (shell-like quoting),
 * parsed against the table by kv_command_parse(), and turned into kv_request objects by
 * kv_command_build() (or handled as a special action: keys, import, export).
 */
#ifndef KV_COMMAND_H
#define KV_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kv.h"

typedef enum kv_option_id {
    KV_OPT_TTL,
    KV_OPT_REPLICA,
    KV_OPT_QUIET,
    KV_OPT_FORMAT,
    KV_OPT_CAS,
    KV_OPT_PERSIST_TO,
    KV_OPT_REPLICATE_TO,
    KV_OPT_DELTA,
    KV_OPT_INITIAL,
    KV_OPT_LIMIT,
    KV_OPT_ID_FIELD,
    KV_OPT_HELP,
    KV_OPT_COUNT
} kv_option_id;

#define KV_OPT_BIT(id) (1u << (id))

/* What an option's value is; drives parsing, help text and completion. */
typedef enum kv_value_kind {
    KV_VALUE_FLAG,       /* no value */
    KV_VALUE_TTL,        /* seconds, 0 or more (Couchbase rule: > 30 days is a Unix time) */
    KV_VALUE_INT,        /* signed 64-bit decimal */
    KV_VALUE_UINT,       /* unsigned 64-bit decimal */
    KV_VALUE_CAS,        /* 0x... hex or decimal */
    KV_VALUE_FORMAT,     /* auto, json, utf8, bytes, pickle */
    KV_VALUE_DURABILITY, /* -1 (as many as exist) or more */
    KV_VALUE_COUNT_MAX,  /* a positive count (limits) */
    KV_VALUE_STRING
} kv_value_kind;

typedef struct kv_option {
    kv_option_id id;
    const char *name;    /* "ttl" for --ttl */
    kv_value_kind kind;
    const char *metavar; /* "N", "C", "F" ("" for flags) */
    const char *help;
} kv_option;

/* What a positional argument is, for help and completion (keys complete KEY, files FILE). */
typedef enum kv_arg_kind {
    KV_ARG_KEY,
    KV_ARG_VALUE,    /* literal, - for stdin, @FILE */
    KV_ARG_FRAGMENT, /* like VALUE */
    KV_ARG_PATTERN,  /* a glob over keys */
    KV_ARG_FILE
} kv_arg_kind;

/* What running a command means. */
typedef enum kv_command_action {
    KV_ACTION_REQUESTS, /* kv_command_build() gives one request per key */
    KV_ACTION_KEYS,     /* kv_client_scan(PATTERN, --limit) */
    KV_ACTION_IMPORT,   /* kv_client_import(FILE, --id-field) */
    KV_ACTION_EXPORT    /* kv_client_export(FILE) */
} kv_command_action;

typedef struct kv_parsed_command kv_parsed_command;

/* Requests built from a parsed command, in argument order. */
typedef struct kv_request_list {
    kv_request **items;
    size_t count;
} kv_request_list;

/* Where "-" (stdin) values come from: a stream, or NULL where stdin is not available. */
typedef struct kv_build_context {
    FILE *stdin_source;
} kv_build_context;

typedef kv_status (*kv_command_builder)(const kv_parsed_command *parsed,
                                        const kv_build_context *context, kv_request_list *out,
                                        char *errbuf, size_t errbuf_len);

typedef struct kv_command {
    const char *name;
    kv_command_action action;
    kv_op op;                  /* for KV_ACTION_REQUESTS */
    const char *synopsis;      /* arguments and options after the name, as in DESIGN.md */
    const char *help;          /* one line */
    kv_arg_kind args[2];       /* kinds of the positionals; the last one repeats if variadic */
    size_t min_args;
    size_t max_args;           /* SIZE_MAX = the last kind repeats */
    uint32_t options;          /* KV_OPT_BIT()s the command accepts */
    uint32_t required;         /* KV_OPT_BIT()s the command needs */
    kv_command_builder build;  /* NULL for special actions */
} kv_command;

struct kv_parsed_command {
    const kv_command *command;
    const char **args; /* positionals, borrowed from the argv given to kv_command_parse */
    size_t nargs;
    uint32_t given;    /* KV_OPT_BIT()s present */
    int64_t ttl;
    bool replica;
    bool quiet;
    bool help;
    kv_format format;
    uint64_t cas;
    int64_t persist_to;
    int64_t replicate_to;
    int64_t delta;
    uint64_t initial;
    uint64_t limit;
    const char *id_field;
};

/* Every command, in help order; *count receives how many. */
const kv_command *kv_command_table(size_t *count);
/* The command named NAME, or NULL. */
const kv_command *kv_command_find(const char *name);
/* Every option, indexed by kv_option_id. */
const kv_option *kv_option_table(void);
const kv_option *kv_option_get(kv_option_id id);
/* The option spelled NAME (without the leading "--"), or NULL. */
const kv_option *kv_option_find(const char *name);
/* Completion: the Nth (0-based) command whose name starts with PREFIX, or NULL when done. */
const kv_command *kv_command_complete(const char *prefix, size_t n);
/* Completion: the Nth option of COMMAND whose "--name" starts with PREFIX, or NULL. */
const kv_option *kv_option_complete(const kv_command *command, const char *prefix, size_t n);

/*
 * Parse ARGV[0] (the command name) and its arguments against the table. "--name value",
 * "--name=value" and "--" (end of options) are understood; "-" alone is a positional. An unknown
 * command, option or option value, or a wrong number of arguments is KV_ERR_ARGUMENT with a
 * message in ERRBUF. On success free PARSED with kv_command_parsed_free().
 */
kv_status kv_command_parse(int argc, char **argv, kv_parsed_command *parsed, char *errbuf,
                           size_t errbuf_len);
void kv_command_parsed_free(kv_parsed_command *parsed);

/* Turn a parsed KV_ACTION_REQUESTS command into requests (VALUE literal, "-" or "@FILE" read
 * and encoded here). On failure nothing is left in OUT. */
kv_status kv_command_build(const kv_parsed_command *parsed, const kv_build_context *context,
                           kv_request_list *out, char *errbuf, size_t errbuf_len);
void kv_request_list_free(kv_request_list *list);

/* Read a VALUE argument: a literal, "-" for CONTEXT's stdin, or "@FILE". *out malloc'd. */
kv_status kv_command_read_value(const char *arg, const kv_build_context *context, uint8_t **out,
                                size_t *out_len, char *errbuf, size_t errbuf_len);

/* Write the usage of COMMAND ("get KEY... [--ttl N] ...") or of every command when NULL. */
void kv_command_print_help(FILE *out, const kv_command *command);

/*
 * Split LINE into words with shell-like quoting: 'single' (literal), "double" (with \" \\ \$ \`
 * escapes), backslash escapes outside quotes, whitespace between words, '#' at the start of a
 * word starts a comment. *argv is a malloc'd NULL-terminated array of malloc'd words; free it
 * with kv_command_argv_free(). An unterminated quote or a trailing backslash is
 * KV_ERR_ARGUMENT with its 1-based column in ERRBUF and *error_column.
 */
kv_status kv_command_split(const char *line, int *argc, char ***argv, size_t *error_column,
                           char *errbuf, size_t errbuf_len);
void kv_command_argv_free(char **argv);

#endif /* KV_COMMAND_H */
