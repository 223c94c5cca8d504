/* Key bindings in the command language: see keymap.h. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "command.h"
#include "keymap.h"
#include "keymaps_builtin.h"

typedef struct named_key {
    const char *name;
    int code;
    bool function;
} named_key;

static const named_key NAMED_KEYS[] = {
    {"Enter", '\r', false},      {"Escape", 27, false},         {"Tab", '\t', false},
    {"BTab", KEY_BTAB, true},    {"Space", ' ', false},         {"Backspace", KEY_BACKSPACE, true},
    {"Delete", KEY_DC, true},    {"Up", KEY_UP, true},          {"Down", KEY_DOWN, true},
    {"Left", KEY_LEFT, true},    {"Right", KEY_RIGHT, true},    {"Home", KEY_HOME, true},
    {"End", KEY_END, true},      {"PgUp", KEY_PPAGE, true},     {"PgDn", KEY_NPAGE, true},
};

ui_key ui_key_normalize(const ui_key *key)
{
    ui_key k = *key;
    if ((k.function && k.code == KEY_ENTER) || (!k.function && k.code == '\n'))
        k = (ui_key){.code = '\r', .function = false};
    else if (!k.function && (k.code == 127 || k.code == 8))
        k = (ui_key){.code = KEY_BACKSPACE, .function = true};
    return k;
}

static bool parse_function_key(const char *name, ui_key *key)
{
    if (name[0] != 'F' || name[1] < '1' || name[1] > '9')
        return false;
    char *end;
    long n = strtol(name + 1, &end, 10);
    if (*end || n < 1 || n > 12)
        return false;
    *key = (ui_key){.code = KEY_F((int)n), .function = true};
    return true;
}

bool ui_key_parse(const char *name, ui_key *key)
{
    for (size_t i = 0; i < sizeof NAMED_KEYS / sizeof NAMED_KEYS[0]; i++)
        if (strcmp(NAMED_KEYS[i].name, name) == 0) {
            *key = (ui_key){.code = NAMED_KEYS[i].code, .function = NAMED_KEYS[i].function};
            return true;
        }
    if (parse_function_key(name, key))
        return true;
    if (strcmp(name, "C-Space") == 0 || strcmp(name, "C-@") == 0) {
        *key = (ui_key){.code = 0, .function = false};
        return true;
    }
    if (name[0] == 'C' && name[1] == '-' && name[2] && !name[3]) {
        char c = name[2];
        if (!((c >= 'a' && c <= 'z') || strchr("[\\]^_", c)))
            return false;
        *key = (ui_key){.code = c & 0x1f, .function = false};
        return true;
    }
    wchar_t wc;
    mbstate_t state;
    memset(&state, 0, sizeof state);
    size_t n = mbrtowc(&wc, name, strlen(name), &state);
    if (n == 0 || n == (size_t)-1 || n == (size_t)-2 || name[n] || wc < 0x21)
        return false;
    *key = (ui_key){.code = (int)wc, .function = false};
    return true;
}

void ui_key_name(const ui_key *key, char *out, size_t len)
{
    for (size_t i = 0; i < sizeof NAMED_KEYS / sizeof NAMED_KEYS[0]; i++)
        if (NAMED_KEYS[i].code == key->code && NAMED_KEYS[i].function == key->function) {
            snprintf(out, len, "%s", NAMED_KEYS[i].name);
            return;
        }
    if (key->function && key->code >= KEY_F(1) && key->code <= KEY_F(12)) {
        snprintf(out, len, "F%d", key->code - KEY_F0);
    } else if (!key->function && key->code == 0) {
        snprintf(out, len, "C-Space");
    } else if (!key->function && key->code < 0x20) {
        snprintf(out, len, "C-%c", key->code + (key->code <= 26 ? 0x60 : 0x40));
    } else {
        mbstate_t state;
        memset(&state, 0, sizeof state);
        char bytes[8];
        size_t n = key->function ? (size_t)-1 : wcrtomb(bytes, (wchar_t)key->code, &state);
        snprintf(out, len, "%.*s", n == (size_t)-1 ? 1 : (int)n, n == (size_t)-1 ? "?" : bytes);
    }
}

static bool same_key(const ui_key *a, const ui_key *b)
{
    return a->code == b->code && a->function == b->function;
}

static ui_binding *find(const ui_keymap *map, ui_context context, const ui_key *key)
{
    for (size_t i = 0; i < map->count; i++)
        if (map->items[i].context == context && same_key(&map->items[i].key, key))
            return &map->items[i];
    return NULL;
}

/* Adds B to MAP, replacing MAP's binding of the same context and key. Takes B's command. */
static void put(ui_keymap *map, ui_binding *b)
{
    ui_binding *old = find(map, b->context, &b->key);
    if (old) {
        free(old->command);
        *old = *b;
        return;
    }
    if (map->count == map->capacity) {
        map->capacity = map->capacity ? map->capacity * 2 : 64;
        map->items = realloc(map->items, map->capacity * sizeof *map->items);
        if (!map->items)
            abort();
    }
    map->items[map->count++] = *b;
}

/* WORD quoted for kv_command_split, with %k left outside the quotes: the key that replaces it
 * when the binding runs is quoted on its own and must not land inside these quotes. */
static void append_word(char *out, const char *word)
{
    if (word[0] && strcspn(word, " \t\r'\"\\#") == strlen(word)) {
        strcat(out, word);
        return;
    }
    strcat(out, "'");
    for (const char *w = word; *w; w++) {
        if (w[0] == '%' && w[1] == 'k') {
            strcat(out, "'%k'");
            w++;
        } else if (*w == '\'') {
            strcat(out, "'\\''");
        } else {
            strncat(out, w, 1);
        }
    }
    strcat(out, "'");
}

/* The words after ACTION, re-joined for a command binding ("remove %k"). */
static char *join_words(char **words, int count)
{
    size_t len = 1;
    for (int i = 0; i < count; i++)
        len += strlen(words[i]) * 4 + 3;
    char *out = calloc(1, len);
    if (!out)
        abort();
    for (int i = 0; i < count; i++) {
        strcat(out, i ? " " : "");
        append_word(out, words[i]);
    }
    return out;
}

/* One "bind" line's words after "bind": fills B or explains what is wrong. */
static kv_status parse_bind(char **argv, int argc, ui_binding *b, char *why, size_t why_len)
{
    int i = 0;
    b->context = UI_CONTEXT_GLOBAL;
    if (argc >= 1 && ui_context_lookup(argv[0]) != UI_CONTEXT_COUNT)
        b->context = ui_context_lookup(argv[i++]);
    if (argc - i < 2)
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                               "bind needs a key and an action: bind [CONTEXT] KEY ACTION");
    if (!ui_key_parse(argv[i], &b->key))
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT, "unknown key name '%s'", argv[i]);
    b->key = ui_key_normalize(&b->key);
    const char *action = argv[i + 1];
    const ui_action_info *info = ui_action_lookup(action);
    if (info && info->id != UI_ACTION_COMMAND) {
        if (argc - i > 2)
            return kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                                   "the action '%s' takes no arguments", action);
        b->action = info->id;
        return KV_OK;
    }
    if (!kv_command_find(action))
        return kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                               "unknown action or command '%s'", action);
    b->action = UI_ACTION_COMMAND;
    b->command = join_words(argv + i + 1, argc - i - 1);
    return KV_OK;
}

/* One line into PENDING; duplicates within the file are errors naming both lines. */
static kv_status parse_line(ui_keymap *pending, const char *line, unsigned number, char *why,
                            size_t why_len)
{
    int argc = 0;
    char **argv = NULL;
    size_t column = 0;
    kv_status status = kv_command_split(line, &argc, &argv, &column, why, why_len);
    if (status == KV_OK && argc > 0) {
        if (strcmp(argv[0], "bind") != 0) {
            status = kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                                     "unknown statement '%s' (only bind)", argv[0]);
        } else {
            ui_binding b = {.line = number};
            status = parse_bind(argv + 1, argc - 1, &b, why, why_len);
            const ui_binding *dup = status == KV_OK ? find(pending, b.context, &b.key) : NULL;
            if (dup) {
                char name[32];
                ui_key_name(&b.key, name, sizeof name);
                status = kv_error_printf(why, why_len, KV_ERR_ARGUMENT,
                                         "'%s' is already bound in %s at line %u", name,
                                         ui_context_name(b.context), dup->line);
                free(b.command);
            } else if (status == KV_OK) {
                put(pending, &b);
            }
        }
    }
    kv_command_argv_free(argv);
    return status;
}

kv_status ui_keymap_parse(ui_keymap *map, const char *text, size_t len, const char *source,
                          char *errbuf, size_t errbuf_len)
{
    ui_keymap pending = {0};
    unsigned number = 0;
    for (size_t start = 0; start < len;) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        char line[1024], why[300];
        number++;
        bool fits = end - start < sizeof line && !memchr(text + start, '\0', end - start);
        snprintf(line, sizeof line, "%.*s", (int)(end - start), text + start);
        start = end + 1;
        if (!fits)
            snprintf(why, sizeof why, "line longer than %zu bytes or with a NUL byte",
                     sizeof line - 1);
        if (!fits || parse_line(&pending, line, number, why, sizeof why) != KV_OK) {
            ui_keymap_free(&pending);
            return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT, "%s:%u: %s", source,
                                   number, why);
        }
    }
    for (size_t i = 0; i < pending.count; i++)
        put(map, &pending.items[i]);
    free(pending.items);
    return KV_OK;
}

kv_status ui_keymap_load_builtin(ui_keymap *map, const char *name, char *errbuf,
                                 size_t errbuf_len)
{
    for (size_t i = 0; i < sizeof KEYMAPS_BUILTIN / sizeof KEYMAPS_BUILTIN[0]; i++)
        if (strcmp(KEYMAPS_BUILTIN[i].name, name) == 0) {
            char source[64];
            snprintf(source, sizeof source, "keymaps/%s.keys", name);
            return ui_keymap_parse(map, KEYMAPS_BUILTIN[i].text, KEYMAPS_BUILTIN[i].len, source,
                                   errbuf, errbuf_len);
        }
    return kv_error_printf(errbuf, errbuf_len, KV_ERR_ARGUMENT,
                           "no built-in key map '%s' (default, vim, emacs) and no such file",
                           name);
}

kv_status ui_keymap_load_file(ui_keymap *map, const char *path, char *errbuf, size_t errbuf_len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return kv_error_printf(errbuf, errbuf_len, KV_ERR_NOT_FOUND, "%s: cannot open", path);
    char *text = malloc(1 << 20);
    size_t len = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (!text)
        abort();
    kv_status status = ui_keymap_parse(map, text, len, path, errbuf, errbuf_len);
    free(text);
    return status;
}

void ui_keymap_free(ui_keymap *map)
{
    for (size_t i = 0; i < map->count; i++)
        free(map->items[i].command);
    free(map->items);
    memset(map, 0, sizeof *map);
}

const ui_binding *ui_keymap_lookup(const ui_keymap *map, ui_context context, const ui_key *key)
{
    ui_key k = ui_key_normalize(key);
    const ui_binding *b = find(map, context, &k);
    if (!b && context != UI_CONTEXT_GLOBAL && context != UI_CONTEXT_EDITOR)
        b = find(map, UI_CONTEXT_GLOBAL, &k);
    return b && b->action != UI_ACTION_NONE ? b : NULL;
}
