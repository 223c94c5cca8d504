#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "help.h"

#define KEYS_COLUMN 16
#define NAME_COLUMN 18

/* Out of memory in the help is not worth a half-drawn screen: same policy as the key map. */
static void add_line(ui_help *help, const char *text, bool title)
{
    ui_help_line *lines = realloc(help->lines, (help->count + 1) * sizeof *lines);
    char *copy = strdup(text);
    if (!lines || !copy)
        abort();
    help->lines = lines;
    help->lines[help->count++] = (ui_help_line){copy, title};
}

/* Append ", NAME" (or NAME when KEYS is empty), stopping short of the buffer's end. */
static void append_key_name(char *keys, size_t size, const ui_key *key)
{
    char name[32];
    ui_key_name(key, name, sizeof name);
    size_t used = strlen(keys);
    snprintf(keys + used, size - used, "%s%s", used ? ", " : "", name);
}

/* Every key of CONTEXT bound to ACTION, in the order the key map bound them. */
static size_t keys_of_action(const ui_keymap *map, ui_context context, ui_action action, char *keys,
                             size_t size)
{
    size_t found = 0;
    keys[0] = '\0';
    for (size_t i = 0; i < map->count; i++) {
        const ui_binding *b = &map->items[i];
        if (b->context == context && b->action == action) {
            append_key_name(keys, size, &b->key);
            found++;
        }
    }
    return found;
}

static void add_action_lines(ui_help *help, const ui_keymap *map, ui_context context)
{
    for (int a = UI_ACTION_NONE + 1; a < UI_ACTION_COUNT; a++) {
        char keys[200], line[400];
        if (a == UI_ACTION_COMMAND)
            continue;
        if (!keys_of_action(map, context, (ui_action)a, keys, sizeof keys))
            continue;
        const ui_action_info *info = ui_action_get((ui_action)a);
        snprintf(line, sizeof line, "  %-*s %-*s %s", KEYS_COLUMN, keys, NAME_COLUMN, info->name,
                 info->help);
        add_line(help, line, false);
    }
}

/* Keys bound to commands each get their own line: the command is what they do. */
static void add_command_lines(ui_help *help, const ui_keymap *map, ui_context context)
{
    for (size_t i = 0; i < map->count; i++) {
        const ui_binding *b = &map->items[i];
        if (b->context != context || b->action != UI_ACTION_COMMAND)
            continue;
        char name[32], line[1200];
        ui_key_name(&b->key, name, sizeof name);
        snprintf(line, sizeof line, "  %-*s :%s", KEYS_COLUMN, name, b->command);
        add_line(help, line, false);
    }
}

static bool context_has_bindings(const ui_keymap *map, ui_context context)
{
    for (size_t i = 0; i < map->count; i++)
        if (map->items[i].context == context && map->items[i].action != UI_ACTION_NONE)
            return true;
    return false;
}

void ui_help_build(ui_help *help, const ui_keymap *map)
{
    ui_help_free(help);
    for (int c = 0; c < UI_CONTEXT_COUNT; c++) {
        if (!context_has_bindings(map, (ui_context)c))
            continue;
        if (help->count)
            add_line(help, "", false);
        add_line(help, ui_context_name((ui_context)c), true);
        add_action_lines(help, map, (ui_context)c);
        add_command_lines(help, map, (ui_context)c);
    }
}

void ui_help_free(ui_help *help)
{
    for (size_t i = 0; i < help->count; i++)
        free(help->lines[i].text);
    free(help->lines);
    help->lines = NULL;
    help->count = 0;
}
