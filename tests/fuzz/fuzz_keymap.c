/* Fuzz target: a key map file, loaded over the default key map as a user's file is, loads or is
 * refused with "fuzz.keys:LINE: why", never crashes or leaks; a refused file leaves the map as it
 * was; every binding that loads is what a lookup of its context and key finds, its key's name (as
 * the help shows it) reads back as the same key, and a bound command splits into words again. */
#include <ctype.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void copy_map(ui_keymap *to, const ui_keymap *from)
{
    *to = *from;
    to->items = malloc(from->capacity * sizeof *from->items);
    if (!to->items)
        abort();
    for (size_t i = 0; i < from->count; i++) {
        to->items[i] = from->items[i];
        to->items[i].command = from->items[i].command ? strdup(from->items[i].command) : NULL;
    }
}

static bool same_binding(const ui_binding *a, const ui_binding *b)
{
    return a->context == b->context && a->key.code == b->key.code &&
           a->key.function == b->key.function && a->action == b->action && a->line == b->line &&
           (a->command && b->command ? strcmp(a->command, b->command) == 0
                                     : a->command == b->command);
}

static bool same_map(const ui_keymap *a, const ui_keymap *b)
{
    if (a->count != b->count)
        return false;
    for (size_t i = 0; i < a->count; i++)
        if (!same_binding(&a->items[i], &b->items[i]))
            return false;
    return true;
}

/* "fuzz.keys:N: why" with 1 <= N <= the number of lines in the input. */
static bool names_a_line(const char *err, const uint8_t *data, size_t size)
{
    if (strncmp(err, "fuzz.keys:", 10) != 0 || !isdigit((unsigned char)err[10]))
        return false;
    char *end;
    unsigned long line = strtoul(err + 10, &end, 10);
    size_t lines = 1;
    for (size_t i = 0; i + 1 < size; i++)
        lines += data[i] == '\n';
    return line >= 1 && line <= lines && strncmp(end, ": ", 2) == 0 && end[2];
}

static bool splits(const char *command)
{
    int argc = 0;
    char **argv = NULL;
    size_t column;
    char err[200];
    kv_status status = kv_command_split(command, &argc, &argv, &column, err, sizeof err);
    kv_command_argv_free(argv);
    return status == KV_OK && argc > 0;
}

static void check_loaded(const ui_keymap *map)
{
    for (size_t i = 0; i < map->count; i++) {
        const ui_binding *b = &map->items[i];
        char name[32];
        ui_key back;
        ui_key_name(&b->key, name, sizeof name);
        if (!ui_key_parse(name, &back) || back.code != b->key.code ||
            back.function != b->key.function || (b->command && !splits(b->command)))
            abort();
        if ((b->action == UI_ACTION_COMMAND) != (b->command != NULL) || !ui_action_get(b->action))
            abort();
        const ui_binding *found = ui_keymap_lookup(map, b->context, &b->key);
        if (b->action != UI_ACTION_NONE && found != b)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ui_keymap defaults;
    char err[300] = "";
    if (!defaults.count) {
        setlocale(LC_ALL, "C.UTF-8");
        if (ui_keymap_load_builtin(&defaults, "default", err, sizeof err) != KV_OK)
            abort();
    }
    ui_keymap map;
    copy_map(&map, &defaults);
    kv_status status =
        ui_keymap_parse(&map, (const char *)data, size, "fuzz.keys", err, sizeof err);
    if (status != KV_OK && (!same_map(&map, &defaults) || !names_a_line(err, data, size)))
        abort();
    if (status == KV_OK)
        check_loaded(&map);
    ui_keymap_free(&map);
    return 0;
}
