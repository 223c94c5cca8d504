/*
 * command_table.c - the one table of commands and options, and the parser that reads argv
 * against it. The CLI, the `:` line, keymaps, help and completion all go through here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"

#define BIT KV_OPT_BIT
#define STORE_OPTIONS                                                                        \
    (BIT(KV_OPT_FORMAT) | BIT(KV_OPT_TTL) | BIT(KV_OPT_PERSIST_TO) | BIT(KV_OPT_REPLICATE_TO))

static kv_status build_each_key(const kv_parsed_command *parsed, const kv_build_context *context,
                                kv_request_list *out, char *errbuf, size_t errbuf_len);
static kv_status build_store(const kv_parsed_command *parsed, const kv_build_context *context,
                             kv_request_list *out, char *errbuf, size_t errbuf_len);
static kv_status build_fragment(const kv_parsed_command *parsed, const kv_build_context *context,
                                kv_request_list *out, char *errbuf, size_t errbuf_len);

static const kv_option OPTIONS[KV_OPT_COUNT] = {
    {KV_OPT_TTL, "ttl", KV_VALUE_TTL, "N", "expiry in seconds (0 = none; over 30 days = a Unix time)"},
    {KV_OPT_REPLICA, "replica", KV_VALUE_FLAG, "", "read a replica copy"},
    {KV_OPT_QUIET, "quiet", KV_VALUE_FLAG, "", "a missing key is not an error"},
    {KV_OPT_FORMAT, "format", KV_VALUE_FORMAT, "F", "auto, json, utf8, bytes or pickle"},
    {KV_OPT_CAS, "cas", KV_VALUE_CAS, "C", "only if the CAS still matches (0x... or decimal)"},
    {KV_OPT_PERSIST_TO, "persist-to", KV_VALUE_DURABILITY, "N", "wait until persisted on N nodes (-1 = all)"},
    {KV_OPT_REPLICATE_TO, "replicate-to", KV_VALUE_DURABILITY, "N", "wait until copied to N replicas (-1 = all)"},
    {KV_OPT_DELTA, "delta", KV_VALUE_INT, "N", "amount to add; negative subtracts (default 1)"},
    {KV_OPT_INITIAL, "initial", KV_VALUE_UINT, "N", "value of a missing counter (delta not applied)"},
    {KV_OPT_LIMIT, "limit", KV_VALUE_COUNT_MAX, "N", "stop after N keys"},
    {KV_OPT_ID_FIELD, "id-field", KV_VALUE_STRING, "F", "take each document's key from field F"},
    {KV_OPT_HELP, "help", KV_VALUE_FLAG, "", "show this command's usage"},
};

/* Where each option's parsed value lives in kv_parsed_command. */
static const size_t OPTION_FIELD[KV_OPT_COUNT] = {
    [KV_OPT_TTL] = offsetof(kv_parsed_command, ttl),
    [KV_OPT_REPLICA] = offsetof(kv_parsed_command, replica),
    [KV_OPT_QUIET] = offsetof(kv_parsed_command, quiet),
    [KV_OPT_FORMAT] = offsetof(kv_parsed_command, format),
    [KV_OPT_CAS] = offsetof(kv_parsed_command, cas),
    [KV_OPT_PERSIST_TO] = offsetof(kv_parsed_command, persist_to),
    [KV_OPT_REPLICATE_TO] = offsetof(kv_parsed_command, replicate_to),
    [KV_OPT_DELTA] = offsetof(kv_parsed_command, delta),
    [KV_OPT_INITIAL] = offsetof(kv_parsed_command, initial),
    [KV_OPT_LIMIT] = offsetof(kv_parsed_command, limit),
    [KV_OPT_ID_FIELD] = offsetof(kv_parsed_command, id_field),
    [KV_OPT_HELP] = offsetof(kv_parsed_command, help),
};

static const kv_command COMMANDS[] = {
    {"get", KV_ACTION_REQUESTS, KV_OP_GET, "KEY... [--ttl N] [--replica] [--quiet]",
     "print each KEY's value byte for byte (pickle: its decoded JSON)",
     {KV_ARG_KEY}, 1, SIZE_MAX, BIT(KV_OPT_TTL) | BIT(KV_OPT_REPLICA) | BIT(KV_OPT_QUIET), 0,
     build_each_key},
    {"insert", KV_ACTION_REQUESTS, KV_OP_INSERT,
     "KEY VALUE [--format auto|json|utf8|bytes|pickle] [--ttl N] [--persist-to N] "
     "[--replicate-to N]",
     "store VALUE under a new KEY (KeyExistsError if it exists); prints the new CAS",
     {KV_ARG_KEY, KV_ARG_VALUE}, 2, 2, STORE_OPTIONS, 0, build_store},
    {"upsert", KV_ACTION_REQUESTS, KV_OP_UPSERT,
     "KEY VALUE [--format auto|json|utf8|bytes|pickle] [--ttl N] [--cas C] [--persist-to N] "
     "[--replicate-to N]",
     "store VALUE under KEY, new or not; prints the new CAS",
     {KV_ARG_KEY, KV_ARG_VALUE}, 2, 2, STORE_OPTIONS | BIT(KV_OPT_CAS), 0, build_store},
    {"replace", KV_ACTION_REQUESTS, KV_OP_REPLACE,
     "KEY VALUE [--format auto|json|utf8|bytes|pickle] [--ttl N] [--cas C] [--persist-to N] "
     "[--replicate-to N]",
     "replace the value of an existing KEY; prints the new CAS",
     {KV_ARG_KEY, KV_ARG_VALUE}, 2, 2, STORE_OPTIONS | BIT(KV_OPT_CAS), 0, build_store},
    {"remove", KV_ACTION_REQUESTS, KV_OP_REMOVE,
     "KEY... [--cas C] [--quiet] [--persist-to N] [--replicate-to N]", "remove each KEY",
     {KV_ARG_KEY}, 1, SIZE_MAX,
     BIT(KV_OPT_CAS) | BIT(KV_OPT_QUIET) | BIT(KV_OPT_PERSIST_TO) | BIT(KV_OPT_REPLICATE_TO), 0,
     build_each_key},
    {"touch", KV_ACTION_REQUESTS, KV_OP_TOUCH, "KEY --ttl N",
     "set KEY's expiry (--ttl 0 clears it); prints the new CAS", {KV_ARG_KEY}, 1, 1,
     BIT(KV_OPT_TTL), BIT(KV_OPT_TTL), build_each_key},
    {"counter", KV_ACTION_REQUESTS, KV_OP_COUNTER, "KEY [--delta N] [--initial N] [--ttl N]",
     "add --delta to the number in KEY and print the new value", {KV_ARG_KEY}, 1, 1,
     BIT(KV_OPT_DELTA) | BIT(KV_OPT_INITIAL) | BIT(KV_OPT_TTL), 0, build_each_key},
    {"append", KV_ACTION_REQUESTS, KV_OP_APPEND, "KEY FRAGMENT [--format utf8|bytes]",
     "add FRAGMENT at the end of KEY's value; prints the new CAS",
     {KV_ARG_KEY, KV_ARG_FRAGMENT}, 2, 2, BIT(KV_OPT_FORMAT), 0, build_fragment},
    {"prepend", KV_ACTION_REQUESTS, KV_OP_PREPEND, "KEY FRAGMENT [--format utf8|bytes]",
     "add FRAGMENT at the start of KEY's value; prints the new CAS",
     {KV_ARG_KEY, KV_ARG_FRAGMENT}, 2, 2, BIT(KV_OPT_FORMAT), 0, build_fragment},
    {"lock", KV_ACTION_REQUESTS, KV_OP_LOCK, "KEY --ttl N",
     "lock KEY for N seconds; prints the value, and the lock CAS on stderr", {KV_ARG_KEY}, 1, 1,
     BIT(KV_OPT_TTL), BIT(KV_OPT_TTL), build_each_key},
    {"unlock", KV_ACTION_REQUESTS, KV_OP_UNLOCK, "KEY --cas C", "unlock KEY with its lock CAS",
     {KV_ARG_KEY}, 1, 1, BIT(KV_OPT_CAS), BIT(KV_OPT_CAS), build_each_key},
    {"keys", KV_ACTION_KEYS, KV_OP_COUNT, "[PATTERN] [--limit N]",
     "list keys matching the glob PATTERN (* and ?; none = all)", {KV_ARG_PATTERN}, 0, 1,
     BIT(KV_OPT_LIMIT), 0, NULL},
    {"import", KV_ACTION_IMPORT, KV_OP_COUNT, "FILE.jsonl [--id-field F]",
     "load documents from a JSON Lines file", {KV_ARG_FILE}, 1, 1, BIT(KV_OPT_ID_FIELD), 0, NULL},
    {"export", KV_ACTION_EXPORT, KV_OP_COUNT, "FILE.jsonl",
     "write every document to a JSON Lines file", {KV_ARG_FILE}, 1, 1, 0, 0, NULL},
};

#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

const kv_command *kv_command_table(size_t *count)
{
    *count = COMMAND_COUNT;
    return COMMANDS;
}

const kv_command *kv_command_find(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    }
    return NULL;
}

const kv_option *kv_option_table(void)
{
    return OPTIONS;
}

const kv_option *kv_option_get(kv_option_id id)
{
    return (unsigned)id < KV_OPT_COUNT ? &OPTIONS[id] : NULL;
}

const kv_option *kv_option_find(const char *name)
{
    for (size_t i = 0; i < KV_OPT_COUNT; i++) {
        if (strcmp(OPTIONS[i].name, name) == 0)
            return &OPTIONS[i];
    }
    return NULL;
}

const kv_command *kv_command_complete(const char *prefix, size_t n)
{
    size_t len = strlen(prefix);
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strncmp(COMMANDS[i].name, prefix, len) == 0 && n-- == 0)
            return &COMMANDS[i];
    }
    return NULL;
}

/* Every command takes --help, so it is not in each command's option mask. */
static bool command_takes(const kv_command *command, kv_option_id id)
{
    return id == KV_OPT_HELP || (command->options & BIT(id)) != 0;
}

const kv_option *kv_option_complete(const kv_command *command, const char *prefix, size_t n)
{
    const char *bare = strncmp(prefix, "--", 2) == 0 ? prefix + 2 : prefix;
    size_t len = strlen(bare);
    if (prefix[0] == '-' && prefix[1] != '-' && prefix[1] != '\0')
        return NULL;
    for (size_t i = 0; i < KV_OPT_COUNT; i++) {
        if (command_takes(command, OPTIONS[i].id) && strncmp(OPTIONS[i].name, bare, len) == 0 &&
            n-- == 0)
            return &OPTIONS[i];
    }
    return NULL;
}

static bool parse_u64(const char *text, uint64_t *out)
{
    if (text[0] < '0' || text[0] > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno || *end)
        return false;
    *out = value;
    return true;
}

static bool parse_i64(const char *text, int64_t *out)
{
    const char *digits = text[0] == '-' ? text + 1 : text;
    if (digits[0] < '0' || digits[0] > '9')
        return false;
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno || *end)
        return false;
    *out = value;
    return true;
}

static kv_status parse_number_value(const kv_option *option, const char *value, void *field,
                                    char *errbuf, size_t errbuf_len)
{
    uint64_t u;
    int64_t i;
    switch (option->kind) {
    case KV_VALUE_TTL:
        if (!parse_u64(value, &u) || u > UINT32_MAX)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                          "bad --ttl '%s' (seconds from 0 to 4294967295)", value);
        *(int64_t *)field = (int64_t)u;
        return KV_OK;
    case KV_VALUE_UINT:
    case KV_VALUE_COUNT_MAX:
        if (!parse_u64(value, &u) || (option->kind == KV_VALUE_COUNT_MAX && u == 0))
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad --%s '%s' (a number%s)",
                          option->name, value, option->kind == KV_VALUE_UINT ? " 0 or more"
                                                                             : " 1 or more");
        *(uint64_t *)field = u;
        return KV_OK;
    default:
        if (!parse_i64(value, &i) || (option->kind == KV_VALUE_DURABILITY && (i < -1 || i > 16)))
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "bad --%s '%s' (%s)", option->name,
                          value, option->kind == KV_VALUE_DURABILITY ? "-1 for all, or 0 to 16"
                                                                     : "a whole number");
        *(int64_t *)field = i;
        return KV_OK;
    }
}

static kv_status parse_option_value(const kv_option *option, const char *value,
                                    kv_parsed_command *parsed, char *errbuf, size_t errbuf_len)
{
    void *field = (char *)parsed + OPTION_FIELD[option->id];
    switch (option->kind) {
    case KV_VALUE_FLAG:
        *(bool *)field = true;
        return KV_OK;
    case KV_VALUE_CAS:
        if (kv_cas_parse(value, (uint64_t *)field) != KV_OK)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                          "bad --cas '%s' (0x... hex or decimal)", value);
        return KV_OK;
    case KV_VALUE_FORMAT:
        if (kv_format_parse(value, (kv_format *)field) != KV_OK)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                          "unknown format '%s' (auto, json, utf8, bytes or pickle)", value);
        return KV_OK;
    case KV_VALUE_STRING:
        if (!*value)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "--%s needs a value",
                          option->name);
        *(const char **)field = value;
        return KV_OK;
    default:
        return parse_number_value(option, value, field, errbuf, errbuf_len);
    }
}

/* One "--name", "--name=value" or "--name value" at argv[*index]; advances *index past it. */
static kv_status parse_option(int argc, char **argv, int *index, kv_parsed_command *parsed,
                              char *errbuf, size_t errbuf_len)
{
    const char *word = argv[*index] + 2;
    const char *eq = strchr(word, '=');
    char name[32];
    size_t name_len = eq ? (size_t)(eq - word) : strlen(word);
    snprintf(name, sizeof name, "%.*s", (int)(name_len < 31 ? name_len : 31), word);
    const kv_option *option = name_len < 31 ? kv_option_find(name) : NULL;
    const char *command = parsed->command->name;
    if (!option || !command_takes(parsed->command, option->id))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "unknown option '--%.*s' for %s",
                      (int)(name_len > 64 ? 64 : name_len), word, command);
    if (parsed->given & BIT(option->id))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "--%s given twice", option->name);
    parsed->given |= BIT(option->id);
    if (option->kind == KV_VALUE_FLAG && eq)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "--%s takes no value", option->name);
    const char *value = eq ? eq + 1 : NULL;
    if (option->kind != KV_VALUE_FLAG && !value) {
        if (*index + 1 >= argc)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "--%s needs a value (%s)",
                          option->name, option->metavar);
        value = argv[++*index];
    }
    return parse_option_value(option, value, parsed, errbuf, errbuf_len);
}

static kv_status add_positional(kv_parsed_command *parsed, const char *word, char *errbuf,
                                size_t errbuf_len)
{
    const kv_command *command = parsed->command;
    if (parsed->nargs >= command->max_args)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                      "too many arguments for %s (usage: %s %s)", command->name, command->name,
                      command->synopsis);
    parsed->args[parsed->nargs++] = word;
    return KV_OK;
}

static kv_status parse_words(int argc, char **argv, kv_parsed_command *parsed, char *errbuf,
                             size_t errbuf_len)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *word = argv[i];
        kv_status st;
        if (!options_done && strcmp(word, "--") == 0) {
            options_done = true;
            continue;
        }
        if (!options_done && word[0] == '-' && word[1] == '-')
            st = parse_option(argc, argv, &i, parsed, errbuf, errbuf_len);
        else if (!options_done && word[0] == '-' && word[1] != '\0')
            st = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                        "unknown option '%.64s' for %s (put -- before an argument that starts "
                        "with '-')", word, parsed->command->name);
        else
            st = add_positional(parsed, word, errbuf, errbuf_len);
        if (st != KV_OK)
            return st;
    }
    return KV_OK;
}

static kv_status check_complete(const kv_parsed_command *parsed, char *errbuf, size_t errbuf_len)
{
    const kv_command *command = parsed->command;
    if (parsed->nargs < command->min_args)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "missing arguments (usage: %s %s)",
                      command->name, command->synopsis);
    uint32_t missing = command->required & ~parsed->given;
    for (size_t i = 0; i < KV_OPT_COUNT; i++) {
        if (missing & BIT(i))
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s needs --%s %s", command->name,
                          OPTIONS[i].name, OPTIONS[i].metavar);
    }
    return KV_OK;
}

kv_status kv_command_parse(int argc, char **argv, kv_parsed_command *parsed, char *errbuf,
                           size_t errbuf_len)
{
    memset(parsed, 0, sizeof *parsed);
    if (errbuf && errbuf_len)
        errbuf[0] = '\0';
    if (argc < 1 || !argv[0] || !argv[0][0])
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "no command given");
    parsed->command = kv_command_find(argv[0]);
    if (!parsed->command)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                      "unknown command '%.64s' (kvtui --help lists them)", argv[0]);
    parsed->delta = 1;
    bool fragment = parsed->command->op == KV_OP_APPEND || parsed->command->op == KV_OP_PREPEND;
    parsed->format = fragment ? KV_FORMAT_UTF8 : KV_FORMAT_AUTO;
    parsed->args = calloc((size_t)argc, sizeof *parsed->args);
    if (!parsed->args)
        abort();
    kv_status st = parse_words(argc, argv, parsed, errbuf, errbuf_len);
    if (st == KV_OK && !parsed->help)
        st = check_complete(parsed, errbuf, errbuf_len);
    if (st != KV_OK)
        kv_command_parsed_free(parsed);
    return st;
}

void kv_command_parsed_free(kv_parsed_command *parsed)
{
    free(parsed->args);
    parsed->args = NULL;
    parsed->nargs = 0;
}

static void list_add(kv_request_list *list, kv_request *request)
{
    kv_request **grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (!grown)
        abort();
    list->items = grown;
    list->items[list->count++] = request;
}

void kv_request_list_free(kv_request_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        kv_request_free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

/* A request for KEY with every option the parser accepted for this command applied. */
static kv_request *new_request(const kv_parsed_command *parsed, const char *key)
{
    kv_request *r = kv_request_new(parsed->command->op, key, strlen(key));
    if (!r)
        abort();
    r->has_ttl = (parsed->given & BIT(KV_OPT_TTL)) != 0;
    r->ttl = parsed->ttl;
    r->replica = parsed->replica;
    r->quiet = parsed->quiet;
    r->cas = parsed->cas;
    r->persist_to = (int)parsed->persist_to;
    r->replicate_to = (int)parsed->replicate_to;
    r->delta = parsed->delta;
    r->has_initial = (parsed->given & BIT(KV_OPT_INITIAL)) != 0;
    r->initial = parsed->initial;
    r->format = parsed->format;
    return r;
}

static kv_status build_each_key(const kv_parsed_command *parsed, const kv_build_context *context,
                                kv_request_list *out, char *errbuf, size_t errbuf_len)
{
    (void)context;
    if (parsed->nargs > 1 && (parsed->given & BIT(KV_OPT_CAS)))
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "--cas needs exactly one KEY");
    for (size_t i = 0; i < parsed->nargs; i++)
        list_add(out, new_request(parsed, parsed->args[i]));
    return KV_OK;
}

static kv_status build_store(const kv_parsed_command *parsed, const kv_build_context *context,
                             kv_request_list *out, char *errbuf, size_t errbuf_len)
{
    uint8_t *raw = NULL, *encoded = NULL;
    size_t raw_len = 0, encoded_len = 0;
    uint32_t flags = 0;
    kv_status st = kv_command_read_value(parsed->args[1], context, &raw, &raw_len, errbuf,
                                         errbuf_len);
    if (st == KV_OK)
        st = kv_value_encode(parsed->format, raw, raw_len, &encoded, &encoded_len, &flags,
                             errbuf, errbuf_len);
    free(raw);
    if (st != KV_OK)
        return st;
    kv_request *r = new_request(parsed, parsed->args[0]);
    r->flags = flags;
    r->format = kv_format_of_flags(flags);
    r->value = encoded; /* the request owns the malloc'd bytes */
    r->value_len = encoded_len;
    list_add(out, r);
    return KV_OK;
}

static kv_status build_fragment(const kv_parsed_command *parsed, const kv_build_context *context,
                                kv_request_list *out, char *errbuf, size_t errbuf_len)
{
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    kv_status st = kv_command_read_value(parsed->args[1], context, &raw, &raw_len, errbuf,
                                         errbuf_len);
    if (st != KV_OK)
        return st;
    if (parsed->format == KV_FORMAT_UTF8 && !kv_utf8_valid(raw, raw_len)) {
        free(raw);
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_VALUE_FORMAT,
                      "FRAGMENT is not valid UTF-8 (use --format bytes)");
    }
    kv_request *r = new_request(parsed, parsed->args[0]);
    r->value = raw;
    r->value_len = raw_len;
    list_add(out, r);
    return KV_OK;
}

kv_status kv_command_build(const kv_parsed_command *parsed, const kv_build_context *context,
                           kv_request_list *out, char *errbuf, size_t errbuf_len)
{
    memset(out, 0, sizeof *out);
    if (!parsed->command->build)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s is not a key operation",
                      parsed->command->name);
    kv_status st = parsed->command->build(parsed, context, out, errbuf, errbuf_len);
    /* Check every request before any is sent, so a bad key means nothing is written. */
    for (size_t i = 0; st == KV_OK && i < out->count; i++)
        st = kv_request_check(out->items[i], errbuf, errbuf_len);
    if (st != KV_OK)
        kv_request_list_free(out);
    return st;
}

/* Read at most KV_VALUE_MAX + 1 bytes, so an oversized value is refused without reading it all. */
static kv_status read_stream(FILE *in, const char *what, uint8_t **out, size_t *out_len,
                             char *errbuf, size_t errbuf_len)
{
    size_t cap = 65536, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        abort();
    for (;;) {
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf)
                abort();
        }
        size_t got = fread(buf + len, 1, cap - len, in);
        len += got;
        if (got == 0 || len > KV_VALUE_MAX)
            break;
    }
    kv_status st = KV_OK;
    if (ferror(in))
        st = kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "cannot read %s: %s", what,
                    strerror(errno));
    else if (len > KV_VALUE_MAX)
        st = kv_error_printf(errbuf, errbuf_len, KV_ERR_TOO_BIG, "%s is over the %u byte limit", what,
                    KV_VALUE_MAX);
    if (st != KV_OK) {
        free(buf);
        return st;
    }
    *out = buf;
    *out_len = len;
    return KV_OK;
}

kv_status kv_command_read_value(const char *arg, const kv_build_context *context, uint8_t **out,
                                size_t *out_len, char *errbuf, size_t errbuf_len)
{
    if (strcmp(arg, "-") == 0) {
        if (!context || !context->stdin_source)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                          "'-' (read the value from stdin) only works from the shell");
        return read_stream(context->stdin_source, "stdin", out, out_len, errbuf, errbuf_len);
    }
    if (arg[0] == '@') {
        FILE *in = fopen(arg + 1, "rb");
        if (!in)
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "cannot open %s: %s", arg + 1,
                          strerror(errno));
        kv_status st = read_stream(in, arg + 1, out, out_len, errbuf, errbuf_len);
        fclose(in);
        return st;
    }
    size_t len = strlen(arg);
    *out = malloc(len ? len : 1);
    if (!*out)
        abort();
    memcpy(*out, arg, len);
    *out_len = len;
    return KV_OK;
}

static void print_command_options(FILE *out, const kv_command *command)
{
    for (size_t i = 0; i < KV_OPT_COUNT; i++) {
        const kv_option *option = &OPTIONS[i];
        if (!command_takes(command, option->id) || option->id == KV_OPT_HELP)
            continue;
        char spelled[40];
        snprintf(spelled, sizeof spelled, "--%s%s%s", option->name, option->metavar[0] ? " " : "",
                 option->metavar);
        fprintf(out, "    %-20s %s\n", spelled, option->help);
    }
}

void kv_command_print_help(FILE *out, const kv_command *command)
{
    if (command) {
        fprintf(out, "usage: kvtui %s %s\n  %s\n", command->name, command->synopsis,
                command->help);
        print_command_options(out, command);
        return;
    }
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %s %s\n      %s\n", COMMANDS[i].name, COMMANDS[i].synopsis,
                COMMANDS[i].help);
}
