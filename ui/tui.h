/* tui.h - the entry point of the interactive screen, called by main when no command is given. */
#ifndef KV_TUI_H
#define KV_TUI_H

#include <stdbool.h>

typedef struct kv_tui_options {
    bool read_only;       /* every mutation is refused */
    const char *theme;    /* NULL = the default theme */
    const char *keymap;   /* NULL = keymaps/default.keys */
    const char *password; /* SASL password, or NULL; never logged */
} kv_tui_options;

/* Open STORE (a connection string, NULL = the default store) and run the TUI until the user
 * quits. Returns the process exit code. */
int kv_tui_run(const char *store, const kv_tui_options *options);

#endif /* KV_TUI_H */
