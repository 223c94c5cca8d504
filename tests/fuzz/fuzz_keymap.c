/* Fuzz target: a key map file must load or be refused with a message, never crash or leak, and a
 * refused file must change nothing. */
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool locale_set;
    if (!locale_set) {
        setlocale(LC_ALL, "C.UTF-8");
        locale_set = true;
    }
    ui_keymap map = {0};
    char err[300] = "";
    kv_status status = ui_keymap_parse(&map, (const char *)data, size, "fuzz.keys", err,
                                       sizeof err);
    if (status != KV_OK && (map.count != 0 || strncmp(err, "fuzz.keys:", 10) != 0))
        abort();
    for (size_t i = 0; i < map.count; i++) {
        char name[32];
        ui_key_name(&map.items[i].key, name, sizeof name);
        if (map.items[i].action == UI_ACTION_COMMAND && !map.items[i].command)
            abort();
        if (!ui_keymap_lookup(&map, map.items[i].context, &map.items[i].key) &&
            map.items[i].action != UI_ACTION_NONE)
            abort();
    }
    ui_keymap_free(&map);
    return 0;
}
