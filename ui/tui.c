/* kv_tui_run: open the store behind its worker thread, then run the screen until the user quits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "editor.h"
#include "save.h"
#include "terminal.h"
#include "theme.h"
#include "tui.h"

/* The user's own bindings: $XDG_CONFIG_HOME/kvtui/keys (default ~/.config/kvtui/keys). */
static void user_keymap_path(char *out, size_t len)
{
    const char *config = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    if (config && config[0])
        snprintf(out, len, "%s/kvtui/keys", config);
    else if (home && home[0])
        snprintf(out, len, "%s/.config/kvtui/keys", home);
    else
        out[0] = '\0';
}

/* default.keys, then --keymap (a built-in name or a file), then the user's file. A bad
 * --keymap stops the start (it was asked for by name); a bad user file is reported in the
 * status pane and the defaults stay. */
static kv_status load_keymaps(ui_app *app, const char *keymap, char *errbuf, size_t errbuf_len)
{
    kv_status status = ui_keymap_load_builtin(&app->keymap, "default", errbuf, errbuf_len);
    if (status == KV_OK && keymap) {
        bool builtin = strcmp(keymap, "vim") == 0 || strcmp(keymap, "emacs") == 0 ||
                       strcmp(keymap, "default") == 0;
        status = builtin ? ui_keymap_load_builtin(&app->keymap, keymap, errbuf, errbuf_len)
                         : ui_keymap_load_file(&app->keymap, keymap, errbuf, errbuf_len);
    }
    if (status != KV_OK)
        return status;
    char path[1100], why[400];
    user_keymap_path(path, sizeof path);
    kv_status user = path[0] ? ui_keymap_load_file(&app->keymap, path, why, sizeof why)
                             : KV_ERR_NOT_FOUND;
    if (user != KV_OK && user != KV_ERR_NOT_FOUND)
        ui_status_log(app, UI_LOG_ERROR, "%s (your key map was not applied)", why);
    return KV_OK;
}

int kv_tui_run(const char *store, const kv_tui_options *options)
{
    static ui_app app; /* large (the log ring); one per process */
    char err[400] = "";
    if (load_keymaps(&app, options->keymap, err, sizeof err) != KV_OK) {
        fprintf(stderr, "kvtui: ArgumentError: %s\n", err);
        ui_keymap_free(&app.keymap);
        return kv_status_exit_code(KV_ERR_ARGUMENT);
    }
    kv_open_options open_options = {.read_only = options->read_only,
                                    .password = options->password};
    kv_status status = kv_client_open(store, &open_options, &app.client, err, sizeof err);
    if (status != KV_OK) {
        fprintf(stderr, "kvtui: %s: %s\n", kv_status_name(status), err);
        return kv_status_exit_code(status);
    }
    snprintf(app.store, sizeof app.store, "%s", store ? store : "default store");
    if (kv_client_warning(app.client))
        ui_status_log(&app, UI_LOG_ERROR, "warning: %s", kv_client_warning(app.client));
    app.read_only = options->read_only;
    ui_key_model_init(&app.keys);
    static ui_style_spec theme[UI_STYLE_COUNT];
    if (ui_theme_load(options->theme ? options->theme : "default", theme, err, sizeof err) !=
        KV_OK) {
        fprintf(stderr, "kvtui: ArgumentError: %s\n", err);
        kv_client_close(app.client);
        ui_keymap_free(&app.keymap);
        return kv_status_exit_code(KV_ERR_ARGUMENT);
    }
    if (!ui_terminal_start(theme)) {
        fprintf(stderr, "kvtui: cannot start the terminal (is TERM set?)\n");
        kv_client_close(app.client);
        return 1;
    }
    ui_app_run(&app);
    ui_terminal_stop();
    ui_editor_shutdown(&app); /* after curses, so its message stays on the terminal */
    if (app.edit && app.edit->file) {
        /* An unresolved conflict: the edit stays on disk, and the user is told where. */
        fputs("kvtui: your unsaved edit of '", stderr);
        kv_output_escaped(stderr, app.edit->key, app.edit->key_len, KV_ESCAPE_LINE);
        fputs("' is kept in ", stderr);
        kv_output_escaped(stderr, app.edit->file, strlen(app.edit->file), KV_ESCAPE_LINE);
        fputc('\n', stderr);
        free(app.edit->file);
        app.edit->file = NULL;
    }
    ui_edit_session_free(app.edit);
    kv_client_close(app.client);
    kv_result_clear(&app.doc.result);
    ui_key_model_free(&app.keys);
    ui_keymap_free(&app.keymap);
    return 0;
}
