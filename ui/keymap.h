/*
 * keymap.h - key bindings, written in the command language (tmux's habit: the defaults are a
 * file parsed like the user's own).
 *
 *   # a comment
 *   bind [CONTEXT] KEY ACTION            CONTEXT: global (default), keys, document, conflict
 *   bind [CONTEXT] KEY COMMAND ARGS...   any command of the command language; %k is the
 *                                        selected key, e.g.  bind keys x remove %k
 *   bind [CONTEXT] KEY none              unbinds KEY
 *
 * KEY is one character, C-x (control), Enter, Escape, Tab, BTab, Space, Backspace, Delete, Up,
 * Down, Left, Right, Home, End, PgUp, PgDn or F1..F12. Words are split with the command
 * language's quoting. A key bound twice in one file, an unknown action, key or context is an
 * error naming the file and line; a file with an error changes nothing.
 *
 * Loading: keymaps/default.keys (built into the binary), then --keymap vim|emacs (also built in)
 * or --keymap FILE, then the user's $XDG_CONFIG_HOME/kvtui/keys; later files override earlier
 * ones key by key. No curses here except the KEY_* codes.
 */
#ifndef UI_KEYMAP_H
#define UI_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "action_table.h"
#include "kv.h"
#include "pane.h"

typedef struct ui_binding {
    ui_context context;
    ui_key key;
    ui_action action;
    char *command;   /* UI_ACTION_COMMAND: the command line, %k for the selected key */
    unsigned line;   /* where it was bound */
} ui_binding;

typedef struct ui_keymap {
    ui_binding *items;
    size_t count, capacity;
} ui_keymap;

/* Parse TEXT (named SOURCE in errors) and, only when all of it is valid, apply it over MAP. */
kv_status ui_keymap_parse(ui_keymap *map, const char *text, size_t len, const char *source,
                          char *errbuf, size_t errbuf_len);
/* A built-in key map: "default", "vim" or "emacs". */
kv_status ui_keymap_load_builtin(ui_keymap *map, const char *name, char *errbuf,
                                 size_t errbuf_len);
kv_status ui_keymap_load_file(ui_keymap *map, const char *path, char *errbuf, size_t errbuf_len);
void ui_keymap_free(ui_keymap *map);

/* The binding of KEY in CONTEXT (falling back to global, except in the editor, where a key
 * that is not bound is typed), or NULL. */
const ui_binding *ui_keymap_lookup(const ui_keymap *map, ui_context context, const ui_key *key);

/* Key names both ways ("C-s", "PgDn", "j"). */
bool ui_key_parse(const char *name, ui_key *key);
void ui_key_name(const ui_key *key, char *out, size_t len);
/* Enter, Backspace and friends arrive in several spellings; this picks one. */
ui_key ui_key_normalize(const ui_key *key);

#endif /* UI_KEYMAP_H */
