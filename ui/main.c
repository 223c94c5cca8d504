/*
 * main.c - kvtui's entry point: global options, then either one command (the CLI) or the TUI.
 *
 *   kvtui [-s STORE] [--read-only] [--theme T] [--keymap K]     open the TUI
 *   kvtui [-s STORE] [--json] COMMAND ARGS...                   run one command and exit
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "command.h"
#include "kv.h"
#include "tui.h"


typedef struct global_options {
    const char *store;
    bool json;
    bool read_only;
    const char *theme;
    const char *keymap;
    const char *password_file;
    bool help;
    bool version;
    int command_index; /* argv index of COMMAND, or argc when none */
} global_options;

static void print_usage(FILE *out)
{
    fputs("usage: kvtui [-s STORE] [--read-only] [--theme T] [--keymap K]   open the TUI\n"
          "       kvtui [-s STORE] [--json] COMMAND ARGS...                 run one command\n"
          "\n"
          "global options (before COMMAND):\n"
          "  -s STORE             file:PATH, PATH.kvdb, memcached://HOST[:PORT][,HOST...],\n"
          "                       couchbase://HOST[,HOST...]/BUCKET (default: the embedded store\n"
          "                       at $XDG_DATA_HOME/kvtui/default.kvdb)\n"
          "  --json               print one JSON object per key per line\n"
          "  --read-only          refuse every change\n"
          "  --theme T, --keymap K  TUI theme and key bindings\n"
          "  --password-file F    read the password from F (mode 0600); else KVTUI_PASSWORD,\n"
          "                       else a prompt when the store names a username\n"
          "  -h, --help           this help;  --version  the version\n"
          "\n"
          "commands (kvtui COMMAND --help for details):\n", out);
    kv_command_print_help(out, NULL);
    fputs("\nVALUE is a literal, - for stdin, or @FILE. CAS is 0x... hex (decimal accepted).\n"
          "Exit codes: 0 ok, 2 ArgumentError, 3 NotFoundError, 4 KeyExistsError, 5 NotStoredError,\n"
          "6 ValueFormatError, 7 DeltaBadvalError, 8 TooBigError, 9 TemporaryFailError,\n"
          "10 DurabilityImpossible/NotSupported, 11 Network/Timeout, 12 AuthError, 1 other.\n", out);
}

static int usage_error(const char *fmt, const char *word)
{
    char message[300];
    snprintf(message, sizeof message, fmt, word);
    kv_output_error(KV_ERR_ARGUMENT, message);
    return kv_status_exit_code(KV_ERR_ARGUMENT);
}

/* An option that takes a value: "-s X", "-sX", "--name X" or "--name=X". */
static const char *take_value(int argc, char **argv, int *i, const char *longname,
                              const char *shortname)
{
    const char *word = argv[*i];
    size_t n = strlen(longname);
    if (strncmp(word, longname, n) == 0 && word[n] == '=')
        return word + n + 1;
    if (shortname && strncmp(word, shortname, 2) == 0 && word[2])
        return word + 2;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

static bool is_option(const char *word, const char *longname, const char *shortname)
{
    size_t n = strlen(longname);
    if (strncmp(word, longname, n) == 0 && (word[n] == '\0' || word[n] == '='))
        return true;
    return shortname && strncmp(word, shortname, 2) == 0;
}

static int parse_value_option(int argc, char **argv, int *i, global_options *g)
{
    static const struct {
        const char *longname, *shortname;
        size_t field;
    } valued[] = {
        {"--store", "-s", offsetof(global_options, store)},
        {"--theme", NULL, offsetof(global_options, theme)},
        {"--keymap", NULL, offsetof(global_options, keymap)},
        {"--password-file", NULL, offsetof(global_options, password_file)},
    };
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++) {
        if (!is_option(argv[*i], valued[k].longname, valued[k].shortname))
            continue;
        const char *value = take_value(argc, argv, i, valued[k].longname, valued[k].shortname);
        if (!value)
            return usage_error("%s needs a value", valued[k].longname);
        *(const char **)((char *)g + valued[k].field) = value;
        return 0;
    }
    return usage_error("unknown option '%.64s' (kvtui --help lists them)", argv[*i]);
}

static int parse_globals(int argc, char **argv, global_options *g)
{
    memset(g, 0, sizeof *g);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *word = argv[i];
        if (strcmp(word, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(word, "--json") == 0)
            g->json = true;
        else if (strcmp(word, "--read-only") == 0)
            g->read_only = true;
        else if (strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0)
            g->help = true;
        else if (strcmp(word, "--version") == 0)
            g->version = true;
        else if (parse_value_option(argc, argv, &i, g) != 0)
            return kv_status_exit_code(KV_ERR_ARGUMENT);
    }
    g->command_index = i;
    return 0;
}

/* The default store lives under $XDG_DATA_HOME, which may not exist yet on a fresh account. */
static void make_parent_dirs(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) != 0 && errno != EEXIST)
            break;
        *p = '/';
    }
    free(copy);
}

/* Check the store string, prepare the default store's directory and get the password (weakened
 * TLS is warned about once the store is open: kv_client_warning). Returns 0 or an exit code after
 * printing the error. */
static int prepare_store(const global_options *g, char **password)
{
    kv_connspec spec;
    char err[512];
    kv_status st = kv_connspec_parse(g->store, &spec, err, sizeof err);
    if (st != KV_OK) {
        kv_output_error(st, err);
        return kv_status_exit_code(st);
    }
    if (spec.kind == KV_BACKEND_EMBEDDED && (!g->store || !*g->store))
        make_parent_dirs(spec.path);
    const char *host = spec.nhosts ? spec.hosts[0].host : NULL;
    st = kv_password_obtain(g->password_file, spec.username, host, password, err, sizeof err);
    kv_connspec_free(&spec);
    if (st != KV_OK) {
        kv_output_error(st, err);
        return kv_status_exit_code(st);
    }
    return 0;
}

static int run_command(const global_options *g, int argc, char **argv)
{
    kv_cli_command command;
    bool show_help;
    int code = kv_cli_prepare(&command, argc - g->command_index, argv + g->command_index,
                              &show_help);
    if (code != 0 || show_help)
        return code;
    char *password = NULL;
    code = prepare_store(g, &password);
    if (code == 0) {
        kv_cli_options options = {.json = g->json, .read_only = g->read_only,
                                  .password = password};
        code = kv_cli_execute(&command, g->store, &options);
    }
    kv_password_free(password);
    kv_cli_command_free(&command);
    return code;
}

static int run_tui(const global_options *g)
{
    char *password = NULL;
    int code = prepare_store(g, &password);
    if (code != 0)
        return code;
    kv_tui_options options = {.read_only = g->read_only, .theme = g->theme,
                              .keymap = g->keymap, .password = password};
    code = kv_tui_run(g->store, &options);
    kv_password_free(password);
    return code;
}

int main(int argc, char **argv)
{
    global_options g;
    int code = parse_globals(argc, argv, &g);
    if (code != 0)
        return code;
    if (g.help) {
        print_usage(stdout);
        return 0;
    }
    if (g.version) {
        printf("kvtui %s\n", KV_VERSION);
        return 0;
    }
    if (g.command_index < argc)
        return run_command(&g, argc, argv);
    return run_tui(&g);
}
